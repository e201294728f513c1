package worker_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/worker"
)

// Every exported method of activities.Activities is registered, under its own name: a method left out
// would be an activity no worker runs.
func TestEveryActivityIsRegistered(t *testing.T) {
	acts := &activities.Activities{}
	var names []string
	for _, a := range worker.Activities(acts) {
		names = append(names, a.Name)
		if reflect.TypeOf(a.Fn).Kind() != reflect.Func {
			t.Errorf("%s is not a function", a.Name)
		}
	}
	typ := reflect.TypeOf(acts)
	var methods []string
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, methods) {
		t.Errorf("registered %v, methods %v", names, methods)
	}
}
