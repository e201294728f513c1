package offline

import (
	"reflect"
	"unsafe"

	"github.com/facebookgo/clock"
	"go.temporal.io/sdk/testsuite"
)

// stillWallClock makes an environment's timers fire by time skipping alone.
//
// While an activity runs, the SDK's test environment also arms a timer on the wall clock for the
// workflow's next timer, so that the timer fires after its duration in real time if the activity takes
// that long (go.temporal.io/sdk v1.50.0, internal/internal_workflow_testsuite.go, autoFireNextTimer). The
// environment stops that wall-clock timer only when the timer fires by time skipping: one whose timer was
// cancelled, or was still pending when the case ended (workflow.AwaitWithTimeout leaves its timer pending
// when its condition holds), stays armed for the timer's whole duration in real time and keeps the case's
// environment in memory. On hanoi-stream that was about one case in ten (a preservation's 10-minute
// bound on a follow-up's word), some 100 MB held to the end of the run, and a tenth of the engine's CPU
// spent in the collector and on fresh memory. Offline such a timer does no good either: it fires in the
// middle of a slow activity on a loaded machine, which a server's order of events would not do.
//
// The SDK has no option for its wall clock, so this replaces the environment's (an unexported field) with
// a clock that never moves. Should a release of the SDK change that field, the environment is left as
// it is: outcomes are the same, the run only slower; TestWallClockStandsStill fails on such a release.
func stillWallClock(env *testsuite.TestWorkflowEnvironment) {
	v := reflect.ValueOf(env).Elem()
	impl := v.FieldByName("impl")
	if impl.Kind() != reflect.Pointer || impl.IsNil() {
		return
	}
	shared := impl.Elem().FieldByName("testWorkflowEnvironmentShared")
	if shared.Kind() != reflect.Pointer || shared.IsNil() {
		return
	}
	wall := shared.Elem().FieldByName("wallClock")
	if !wall.IsValid() || wall.Type() != reflect.TypeFor[clock.Clock]() {
		return
	}
	settable := reflect.NewAt(wall.Type(), unsafe.Pointer(wall.UnsafeAddr())).Elem()
	settable.Set(reflect.ValueOf(clock.Clock(clock.NewMock())))
}
