package cli

import (
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// completionShells are the shells completion writes a script for.
var completionShells = []string{"bash", "zsh", "fish"}

func completionCommand() *command {
	return &command{
		name:     "completion",
		summary:  "print a shell completion script: completion bash|zsh|fish",
		synopsis: "completion bash|zsh|fish",
		help: `Print the completion script of a shell to stdout. It completes commands,
subcommands, flags, the values of flags the program knows (--format,
--log-level, --status, --role, file and directory flags), operation names
and playbook files. The script asks the arsenal-run being completed what to
offer (a hidden __complete command), so completion follows its version; that
never runs anything, opens a state dir or reaches a server.

bash: add to ~/.bashrc
  source <(arsenal-run completion bash)
or, with the bash-completion package, save the script once as
  ~/.local/share/bash-completion/completions/arsenal-run

zsh: add to ~/.zshrc, after compinit
  source <(arsenal-run completion zsh)
or save the script as _arsenal-run in a directory of $fpath:
  arsenal-run completion zsh > "${fpath[1]}/_arsenal-run"

fish: save the script once
  arsenal-run completion fish > ~/.config/fish/completions/arsenal-run.fish

Then start a new shell.`,
		exits: "0 printed; 2 no shell or one it has no script for.",
		run:   runCompletion,
	}
}

func runCompletion(e *env, args []string) int {
	fs := newFlags(e, completionCommand())
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	shells := strings.Join(completionShells, ", ")
	if len(pos) != 1 {
		return fs.usageError("give one shell: %s", shells)
	}
	script, ok := completionScripts[pos[0]]
	if !ok {
		return fs.usageError("no completion script for %q%s; the shells are %s", pos[0], shellHint(pos[0]), shells)
	}
	fmt.Fprint(e.stdout, script)
	return ExitOK
}

// completionScripts are the scripts of each shell. Each asks the binary
// the user typed (so that completion is that build's) with
// `__complete WORD... CURRENT`, and adds files or directories when the
// answer's last line says so; see completeCommand.
var completionScripts = map[string]string{
	"bash": bashCompletion,
	"zsh":  zshCompletion,
	"fish": fishCompletion,
}

// bashCompletion rebuilds the words from COMP_LINE, as bash splits
// --format=json and host:port at the = and :, and gives readline back
// the part of each candidate after such a break.
const bashCompletion = `# bash completion for arsenal-run, printed by 'arsenal-run completion bash'.
# Load it with: source <(arsenal-run completion bash)

_arsenal_run() {
    local line=${COMP_LINE:0:COMP_POINT} rest w last= i n=-1
    local -a words=()
    for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        rest=${line#"${line%%[![:space:]]*}"}
        if ((n < 0)) || [[ ${#rest} != "${#line}" ]]; then
            words[++n]=
        fi
        line=$rest
        ((${#w} > ${#line})) && w=$line
        words[n]+=$w
        line=${line:${#w}}
        last=$w
    done
    local cur=${words[n]} pre
    if [[ $last == [=:] ]]; then pre=$cur; else pre=${cur:0:${#cur}-${#last}}; fi
    local prog=${words[0]}
    [[ $prog == '~/'* ]] && prog=$HOME/${prog:2}
    local out directive c f x
    out=$("$prog" __complete "${words[@]:1}" 2>/dev/null) || return 0
    directive=${out##*$'\n'}
    out=${out%"$directive"}
    COMPREPLY=()
    while IFS= read -r c; do
        c=${c%%$'\t'*}
        [[ -n $c && $c == "$pre"* ]] && COMPREPLY+=("${c#"$pre"}")
    done <<<"$out"
    case $directive in
    :files*)
        local -a exts=(${directive#:files})
        compopt -o filenames 2>/dev/null
        while IFS= read -r f; do
            if ((${#exts[@]} == 0)) || [[ -d $f ]]; then
                COMPREPLY+=("$f")
                continue
            fi
            for x in "${exts[@]}"; do
                if [[ $f == *."$x" ]]; then
                    COMPREPLY+=("$f")
                    break
                fi
            done
        done < <(compgen -f -- "$2")
        ;;
    :dirs)
        compopt -o filenames 2>/dev/null
        while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -d -- "$2")
        ;;
    esac
    return 0
}

complete -F _arsenal_run arsenal-run
`

const zshCompletion = `#compdef arsenal-run
# zsh completion for arsenal-run, printed by 'arsenal-run completion zsh'.
# Load it with: source <(arsenal-run completion zsh)   (after compinit)
# or save it as _arsenal-run in a directory of $fpath.

_arsenal-run() {
  local prog=${words[1]} out directive line cand desc pre=
  local -a lines descs exts
  out=$(${~prog} __complete "${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("${(@f)out}")
  directive=${lines[-1]}
  lines=("${(@)lines[1,-2]}")
  if [[ ${words[CURRENT]} == -*=* ]]; then
    pre=${words[CURRENT]%%=*}=
    compset -P 1 '*='
  fi
  for line in $lines; do
    cand=${line%%$'\t'*}
    desc=
    [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
    cand=${cand#$pre}
    descs+=("${cand//:/\\:}${desc:+:$desc}")
  done
  local ret=1
  (( $#descs )) && _describe -t values arsenal-run descs && ret=0
  case $directive in
    (:files*)
      exts=(${=directive#:files})
      if (( $#exts )); then
        _files -g "*.(${(j:|:)exts})" && ret=0
      else
        _files && ret=0
      fi
      ;;
    (:dirs)
      _files -/ && ret=0
      ;;
  esac
  return ret
}

if [[ $funcstack[1] == _arsenal-run ]]; then
  _arsenal-run "$@"
else
  compdef _arsenal-run arsenal-run
fi
`

const fishCompletion = `# fish completion for arsenal-run, printed by 'arsenal-run completion fish'.
# Save it as ~/.config/fish/completions/arsenal-run.fish

function __arsenal_run_complete
    set -l args (commandline -opc)
    set -l prog $args[1]
    set -e args[1]
    set -l cur (commandline -ct)
    set -l out ($prog __complete $args "$cur" 2>/dev/null)
    or return
    set -l directive $out[-1]
    set -e out[-1]
    for line in $out
        printf '%s\n' $line
    end
    set -l pre (string match -r -- '^-[^=]*=' "$cur")
    set -l value (string replace -r -- '^-[^=]*=' '' "$cur")
    switch $directive
        case ':files*'
            set -l exts (string split -n ' ' -- (string replace -- ':files' '' $directive))
            set -l pattern '\.('(string join '|' -- $exts)')$'
            for f in (__fish_complete_path "$value")
                set -l path (string replace -r -- '\t.*' '' $f)
                if test (count $exts) -eq 0; or test -d "$path"; or string match -qr -- $pattern $path
                    printf '%s%s\n' "$pre" $f
                end
            end
        case ':dirs'
            for f in (__fish_complete_directories "$value")
                printf '%s%s\n' "$pre" $f
            end
    end
end

complete -c arsenal-run -f -a '(__arsenal_run_complete)'
`

// shellHint names the shell a mistyped one was likely meant to be, or "":
// one of the same first letter only, since shell names are short enough
// for any to be near another (tcsh is no typo of bash).
func shellHint(word string) string {
	if best, ok := suggest.Closest(word, completionShells); ok && word != "" && best[0] == word[0] {
		return suggest.Hint(best)
	}
	return ""
}
