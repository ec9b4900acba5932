package ops

import (
	"context"
	"errors"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Class sorts a failure by what the user should do about it.
type Class string

// The error classes a step's failure can have.
const (
	ClassValidation    Class = report.ClassValidation    // a playbook or parameter is wrong: fix the input
	ClassAuthorization Class = report.ClassAuthorization // the caller's roles do not allow it
	ClassExecution     Class = report.ClassExecution     // the operation ran and failed
	ClassTimeout       Class = report.ClassTimeout       // a time limit ran out
	ClassCancelled     Class = report.ClassCancelled     // the run was cancelled
	ClassDeclined      Class = report.ClassDeclined      // a person answered no to a step's confirm: question
	ClassSystem        Class = report.ClassSystem        // a fault inside arsenal-run itself, such as a panic
)

// Sentinel errors for categories callers test with errors.Is.
var (
	ErrUnknownOp   = errors.New("unknown operation")
	ErrDuplicateOp = errors.New("operation already registered")
	ErrDenied      = errors.New("denied")
)

// Error is a failure with a class.
type Error struct {
	Class Class
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of the given class; %w works as in fmt.Errorf.
func Errorf(class Class, format string, args ...any) error {
	return &Error{Class: class, Err: fmt.Errorf(format, args...)}
}

// WithClass wraps err with a class, keeping it for errors.Is and errors.As.
func WithClass(class Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: class, Err: err}
}

// ClassOf returns the class of err: the outermost Error's class, else timeout
// for deadline errors, cancelled for cancellation, validation for parameter
// errors, and execution for anything else.
func ClassOf(err error) Class {
	var ce *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce):
		return ce.Class
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, context.Canceled):
		return ClassCancelled
	case errors.Is(err, ErrDenied):
		return ClassAuthorization
	}
	var pe ParamErrors
	if errors.As(err, &pe) {
		return ClassValidation
	}
	return ClassExecution
}

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }
