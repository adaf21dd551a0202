package build

import (
	"bytes"
	"crypto/sha256"
	"errors"
)

// The cache's binary files (the hash memo, the ZIP indexes) are framed the
// same way: a header line naming the format and its version, the body, and
// the SHA-256 of both, so that damage of any kind is found before a byte
// of the body is believed.

// errOtherFormat is a file written by a layerctl with another format: not
// damage, just of no use to this one.
var errOtherFormat = errors.New("written by another version of layerctl")

// seal appends the checksum of what b holds (the header, then the body).
func seal(b *bytes.Buffer) {
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
}

// unseal returns the body of data, framed by magic (header + version), or
// why it cannot be trusted; errOtherFormat when it is header's format in
// another version. what names the file in messages ("memo", "index").
func unseal(data, magic []byte, header, what string) ([]byte, error) {
	if !bytes.HasPrefix(data, magic) {
		if bytes.HasPrefix(data, []byte(header)) {
			return nil, errOtherFormat
		}
		return nil, errors.New("it does not start with the " + what + "'s header")
	}
	if len(data) < len(magic)+sha256.Size {
		return nil, errors.New("it is cut short")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if sha256.Sum256(body) != [sha256.Size]byte(sum) {
		return nil, errors.New("its checksum does not match its content: it was damaged or cut short")
	}
	return body[len(magic):], nil
}
