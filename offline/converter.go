package offline

import (
	gojson "github.com/goccy/go-json"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// fastJSON encodes payloads as the live engine's JSON converter does (encoding json/plain, the same
// documents), with go-json, which decodes them in a fraction of encoding/json's time: the offline engine
// passes every workflow input, activity call and result through a payload.
type fastJSON struct{}

func (fastJSON) ToPayload(v any) (*commonpb.Payload, error) {
	b, err := gojson.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}, Data: b}, nil
}

func (fastJSON) FromPayload(p *commonpb.Payload, v any) error {
	return gojson.Unmarshal(p.GetData(), v)
}

func (fastJSON) ToString(p *commonpb.Payload) string { return string(p.GetData()) }

func (fastJSON) Encoding() string { return converter.MetadataEncodingJSON }

// dataConverter is the offline engine's data converter: the SDK's default with fastJSON for JSON.
var dataConverter = converter.NewCompositeDataConverter(
	converter.NewNilPayloadConverter(),
	converter.NewByteSlicePayloadConverter(),
	converter.NewProtoJSONPayloadConverter(),
	converter.NewProtoPayloadConverter(),
	fastJSON{},
)
