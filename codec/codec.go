// Package codec encrypts mlasim's Temporal payloads at rest: workflow inputs, results, activity arguments,
// signals, updates and queries carry the facts of cases (names, addresses, what a person is accused of),
// and without a codec they sit in clear in the embedded server's SQLite file and in any cluster's
// database. With a key configured, every mlasim client and worker encrypts each payload with AES-256-GCM
// before it leaves the process and decrypts it on the way in; the server only ever stores ciphertext.
// The key's ID travels in the payload's metadata, so keys can be rotated: a key file may hold old keys
// that still decrypt while the first one encrypts.
//
// Handler serves the Temporal codec-server protocol (POST /encode, /decode) so the Temporal Web UI can
// show decrypted payloads to whoever can reach it. It follows the pattern of temporalio/samples-go's
// encryption and codec-server samples.
package codec

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// EnvKey holds one key, "ID:BASE64" or just "BASE64" (its ID is then derived from the key).
	EnvKey = "MLASIM_CODEC_KEY"
	// EnvKeyFile names a key file: one key per line, "ID BASE64"; the first line's key encrypts.
	EnvKeyFile = "MLASIM_CODEC_KEY_FILE"

	// Encoding is the metadata encoding of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID is the metadata key naming the key that encrypted a payload.
	MetadataKeyID = "encryption-key-id"

	keySize = 32 // AES-256
)

// Keys are the keys a process can decrypt with; Current encrypts.
type Keys struct {
	Current string
	aeads   map[string]cipher.AEAD
}

// FromEnv reads the keys from MLASIM_CODEC_KEY_FILE or MLASIM_CODEC_KEY. With neither set it returns nil:
// payloads then travel unencrypted, as Temporal's default converter writes them.
func FromEnv() (*Keys, error) {
	if path := os.Getenv(EnvKeyFile); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKeyFile, err)
		}
		k, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", EnvKeyFile, path, err)
		}
		return k, nil
	}
	if v := os.Getenv(EnvKey); v != "" {
		id, key, found := strings.Cut(v, ":")
		if !found {
			id, key = "", v
		}
		k := &Keys{aeads: map[string]cipher.AEAD{}}
		if err := k.add(id, key); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		return k, nil
	}
	return nil, nil
}

// Parse reads a key file: one key per line, "ID BASE64" (or just "BASE64"), blank lines and lines
// starting with # ignored. The first key encrypts; all of them decrypt.
func Parse(b []byte) (*Keys, error) {
	k := &Keys{aeads: map[string]cipher.AEAD{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		var err error
		switch len(fields) {
		case 1:
			err = k.add("", fields[0])
		case 2:
			err = k.add(fields[0], fields[1])
		default:
			err = errors.New(`want "ID BASE64-KEY"`)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if k.Current == "" {
		return nil, errors.New("no key in the file")
	}
	return k, nil
}

func (k *Keys) add(id, b64 string) error {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("the key is not base64: %w", err)
	}
	if len(raw) != keySize {
		return fmt.Errorf("the key is %d bytes; AES-256 needs %d (make one with 'mlasim codec key')", len(raw), keySize)
	}
	if id == "" {
		id = DeriveID(raw)
	}
	if _, dup := k.aeads[id]; dup {
		return fmt.Errorf("key ID %s appears twice", id)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	k.aeads[id] = aead
	if k.Current == "" {
		k.Current = id
	}
	return nil
}

// DeriveID names a key by its fingerprint, so a key given without an ID gets the same ID everywhere.
func DeriveID(key []byte) string {
	sum := sha256.Sum256(key)
	return "k" + hex.EncodeToString(sum[:4])
}

// NewKey makes a random key and returns it as a key-file line, "ID BASE64".
func NewKey() (string, error) {
	raw := make([]byte, keySize)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return DeriveID(raw) + " " + base64.StdEncoding.EncodeToString(raw), nil
}

// Codec is the payload codec of a set of keys.
type Codec struct{ keys *Keys }

// New returns the codec of the keys.
func New(k *Keys) *Codec { return &Codec{keys: k} }

// Encode encrypts each payload (its metadata and data, marshalled) under the current key. The key ID is
// also the authenticated data, so a payload cannot be passed off as encrypted under another key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.Current
	aead := c.keys.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(id)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec encrypted and passes any other payload through unchanged (one
// written before encryption was turned on, for example).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with key %q, which this process does not have (add it to %s)", id, EnvKeyFile)
		}
		if len(p.Data) < aead.NonceSize() {
			return nil, fmt.Errorf("encrypted payload of %d bytes is too short", len(p.Data))
		}
		nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return nil, fmt.Errorf("decrypting a payload with key %q: %w", id, err)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return nil, err
		}
		out[i] = &orig
	}
	return out, nil
}

// DataConverter is Temporal's default data converter with the keys' codec applied, or the default
// converter itself when keys is nil.
func DataConverter(k *Keys) converter.DataConverter {
	if k == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(k))
}

// Apply makes a client encrypt with the keys: its payloads, and the messages and stack traces of its
// failures (an activity's error can quote the facts of a case). With nil keys it changes nothing.
func Apply(o *client.Options, k *Keys) {
	if k == nil {
		return
	}
	dc := DataConverter(k)
	o.DataConverter = dc
	o.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Handler serves the codec-server protocol for the Temporal Web UI, answering CORS requests from origin
// (the Web UI's address, e.g. http://localhost:8080). Anyone who can reach it can decrypt: bind it where
// only authorised users can.
func Handler(k *Keys, origin string) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(New(k))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin != "" && r.Header.Get("Origin") == origin {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Headers", "Content-Type,X-Namespace,Authorization")
			h.Set("Access-Control-Allow-Methods", "POST,OPTIONS")
			h.Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		codec.ServeHTTP(w, r)
	})
}

// NewServer is an HTTP server of the codec endpoint (Handler) for the Web UI at origin.
func NewServer(k *Keys, origin string) *http.Server {
	return &http.Server{Handler: Handler(k, origin), ReadHeaderTimeout: 10 * time.Second}
}

// Serve serves the codec endpoint at addr for the Web UI at origin, with the keys from the environment,
// until ctx ends.
func Serve(ctx context.Context, addr, origin string, out io.Writer) error {
	keys, err := FromEnv()
	if err == nil && keys == nil {
		err = fmt.Errorf("no key: set %s or %s", EnvKeyFile, EnvKey)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("codec endpoint: %w", err)
	}
	srv := NewServer(keys, origin)
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(out, "codec endpoint http://%s for the Web UI at %s, key %s\n", ln.Addr(), origin, keys.Current)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
