package offline

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"sync"

	"github.com/huandu/go-clone"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// inProcess is the offline engine's payload converter. Offline, a workflow, its activities and its
// children run in one process, in one test environment, and no payload is ever stored or sent: so a
// payload carries no encoding of its value, only its index in the environment's table of values. The
// value is copied deeply when it is sent, so sender and receiver share nothing, as when the value crosses
// a server; but not a function's result, sent when the function is over, nor the input the engine starts
// a case with (handedOver). Its first reader takes that copy; a later reader (the SDK decodes an
// activity's input again when it retries the activity) gets a copy of it as the first reader left it,
// which is the value sent since no activity changes its input. The live engine encodes the same values as
// JSON; TestOfflineShortcutsChangeNoOutcome checks that both give the same outcomes.
//
// Encoding every workflow input, activity call and result as JSON was a third of the offline engine's
// CPU time per request; copying each deeply by reflection, about 7%.
type inProcess struct {
	mu     sync.Mutex
	values []sent
}

type sent struct {
	v     any
	taken bool // the first reader takes the copy made when it was sent
	// addr: v is a pointer to the copy, not the copy itself. Boxing a copied struct in an interface
	// would copy it again, and the largest values sent (a screening's facts, a request) are 1 to 2 KB.
	addr bool
}

// handedOver is a value its sender builds for the receiver and never touches again: the input the
// engine starts a case's workflow with. It is sent as it is, without a copy. A workflow started with one
// is named by its registered name, since the SDK checks the arguments of a workflow named by its
// function against the function's parameters.
type handedOver struct{ v any }

const inProcessEncoding = "mlasim/in-process"

// inProcessMetadata is the metadata of every in-process payload: one map, shared, as nothing writes to a
// payload's metadata once a converter has made it (the SDK adds a type only to the payloads of search
// attributes, which it encodes with its default converter, not with the environment's). A map for each
// payload was a fifth of what the converter allocated.
var inProcessMetadata = map[string][]byte{converter.MetadataEncoding: []byte(inProcessEncoding)}

func (c *inProcess) ToPayload(v any) (*commonpb.Payload, error) {
	addr := false
	switch o := v.(type) {
	case mla.Outcome, *mla.Outcome, workflows.CaseResult, *workflows.CaseResult,
		mla.Screening, activities.OrderResult, activities.Receipt:
		// Only a workflow's or an activity's result: it is sent once the function has returned, and
		// nothing of it runs after to change it. Each is built afresh by the call that returns it (a
		// screening copies its findings out of the engine's scratch space), so nothing else holds it,
		// and its first reader takes it as it is.
	case handedOver:
		v = o.v
	default:
		v, addr = deepCopy(v)
	}
	c.mu.Lock()
	i := len(c.values)
	c.values = append(c.values, sent{v: v, addr: addr})
	c.mu.Unlock()
	return &commonpb.Payload{Metadata: inProcessMetadata, Data: binary.AppendUvarint(nil, uint64(i))}, nil
}

func (c *inProcess) FromPayload(p *commonpb.Payload, to any) error {
	i, n := binary.Uvarint(p.GetData())
	c.mu.Lock()
	if n <= 0 || i >= uint64(len(c.values)) {
		c.mu.Unlock()
		return fmt.Errorf("in-process payload %x names no value of this environment", p.GetData())
	}
	s := &c.values[i]
	v, taken, addr := s.v, s.taken, s.addr
	s.taken = true
	c.mu.Unlock()
	if taken {
		v = clone.Clone(v)
	}
	dst := reflect.ValueOf(to)
	if dst.Kind() != reflect.Pointer || dst.IsNil() {
		return fmt.Errorf("in-process payload: cannot decode into %T", to)
	}
	dst = dst.Elem()
	src := reflect.ValueOf(v)
	if addr {
		src = src.Elem()
	}
	if !src.IsValid() {
		dst.SetZero()
		return nil
	}
	if dst.Kind() == reflect.Pointer && src.Type().AssignableTo(dst.Type().Elem()) {
		ptr := reflect.New(src.Type())
		ptr.Elem().Set(src)
		src = ptr
	}
	if src.Kind() == reflect.Pointer && !src.Type().AssignableTo(dst.Type()) {
		if src.IsNil() {
			dst.SetZero()
			return nil
		}
		src = src.Elem()
	}
	if !src.Type().AssignableTo(dst.Type()) {
		return fmt.Errorf("in-process payload holds a %s, not a %s", src.Type(), dst.Type())
	}
	dst.Set(src)
	return nil
}

func (c *inProcess) ToString(p *commonpb.Payload) string {
	i, _ := binary.Uvarint(p.GetData())
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < uint64(len(c.values)) {
		s := c.values[i]
		if s.addr {
			return fmt.Sprintf("%+v", reflect.ValueOf(s.v).Elem())
		}
		return fmt.Sprintf("%+v", s.v)
	}
	return "in-process payload " + fmt.Sprint(i)
}

// fromHeap is go-clone's allocator of Clone, made once: each keeps its own cache of the types it has
// seen.
var fromHeap = clone.FromHeap()

// deepCopy copies v deeply. A struct's copy is returned as a pointer to it (addr), which is how the
// copy is made: go-clone gives it addressable, and only boxing it as a value would copy it once more.
func deepCopy(v any) (copied any, addr bool) {
	if v == nil {
		return nil, false
	}
	c := fromHeap.Clone(reflect.ValueOf(v))
	if c.Kind() == reflect.Struct && c.CanAddr() {
		return c.Addr().Interface(), true
	}
	return c.Interface(), false
}

func (c *inProcess) Encoding() string { return inProcessEncoding }

// newDataConverter is the data converter of one test environment: its values stay in it, and go when
// the environment does. With json, payloads are encoded as the live engine encodes them.
func newDataConverter(json bool) converter.DataConverter {
	if json {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCompositeDataConverter(converter.NewNilPayloadConverter(), &inProcess{})
}
