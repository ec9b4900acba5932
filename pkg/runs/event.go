package runs

import "github.com/arsenal-run/arsenal-run/pkg/engine"

// Event is one numbered event of a run's stream. The grammar is documented
// in docs/events.md.
type Event = engine.Event

// KindDropped marks where a slow subscriber missed events, or where a late
// subscriber asked for events the replay no longer holds; Event.Dropped
// says how many.
const KindDropped engine.EventKind = "dropped"
