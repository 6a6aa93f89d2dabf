package pushapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/push"
)

// DefaultMaxBatch is the most items a batch may have when
// Options.MaxBatch is 0 (api.max_batch).
const DefaultMaxBatch = 1000

// paramBodySHA256 carries, in the query of a batch, the lowercase hex
// SHA-256 of its body: signing the query then covers the body.
const paramBodySHA256 = "body_sha256"

var (
	errBatchTooBig = errors.New("batch over api.max_batch items")
	errNoBodySum   = errors.New("batch without body_sha256")
	errBodySum     = errors.New("body_sha256 does not match the body")
)

// batchItem is one item of a batch: its request, or why it is refused.
type batchItem struct {
	req push.Request
	err *refusal
}

// failAnswer is a refused item's answer in a batch.
type failAnswer struct {
	Result string `json:"result"`
	Error  string `json:"error"`
}

// batch answers a JSON array body: that many publishes (or kicks) sent in
// one call to the Publisher, answered by a JSON array of their answers in
// order. The query's fields are its credentials (and body_sha256).
func (a *api) batch(ctx context.Context, c *gin.Context, auth *authenticator, p params, raw []byte) {
	// Signed, the body must be covered by the signature; unsigned, a
	// sum that does not match is refused still.
	switch err := checkBodySum(p, raw); {
	case err == nil:
	case auth.signer != nil:
		a.unauthorized(c, err)
		return
	case errors.Is(err, errBodySum):
		a.refused(c, err.Error())
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
		return
	}
	items, err := parseBatch(raw, a.maxBatch(), a.opts.Hold)
	switch {
	case errors.Is(err, errBatchTooBig):
		a.refused(c, err.Error())
		a.fail(c, http.StatusRequestEntityTooLarge, metrics.ResultFail)
		return
	case err != nil:
		a.refused(c, err.Error())
		a.fail(c, http.StatusBadRequest, metrics.ResultFail)
		return
	}
	reqs := make([]push.Request, 0, len(items))
	for _, it := range items {
		if it.err == nil {
			reqs = append(reqs, it.req)
		}
	}
	var reach []push.Reach
	if len(reqs) > 0 {
		if reach, err = a.pub.Send(ctx, reqs); err != nil {
			a.unavailable(c, "batch", err)
			return
		}
		a.served()
	}
	answers := make([]any, len(items))
	for i, it := range items {
		if it.err != nil {
			a.opts.Metrics.Published(metrics.ResultFail)
			answers[i] = failAnswer{Result: answerFail, Error: it.err.why}
			continue
		}
		ans := presenceOf(it.req.Targets, reach[0], answerOK)
		reach = reach[1:]
		a.opts.Metrics.Published(ans.Result)
		answers[i] = ans
	}
	c.JSON(http.StatusOK, answers)
}

func (a *api) maxBatch() int {
	if a.opts.MaxBatch > 0 {
		return a.opts.MaxBatch
	}
	return DefaultMaxBatch
}

// checkBodySum checks the query's body_sha256 against raw: errNoBodySum
// when there is none, errBodySum when it does not match.
func checkBodySum(p params, raw []byte) error {
	given, present, ok := p.scalar(paramBodySHA256)
	if !present {
		return errNoBodySum
	}
	sum := sha256.Sum256(raw)
	want := hex.EncodeToString(sum[:])
	if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(want)) != 1 {
		return errBodySum
	}
	return nil
}

// parseBatch reads a batch of at most max items, each an object of fields
// as a single request's JSON body has them (type publish, the default, or
// kick). A body that is no array of JSON values, or has too many, is an
// error; an item that is not a valid request is refused alone.
func parseBatch(raw []byte, max int, h settings.Hold) ([]batchItem, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: batch: %v", errBadBody, err)
	}
	if list == nil {
		return nil, fmt.Errorf("%w: batch is not an array", errBadBody)
	}
	if len(list) > max {
		return nil, fmt.Errorf("%w: %d items, at most %d", errBatchTooBig, len(list), max)
	}
	items := make([]batchItem, len(list))
	for i, text := range list {
		items[i] = parseItem(text, h)
	}
	return items, nil
}

// parseItem reads one item of a batch.
func parseItem(text json.RawMessage, h settings.Hold) batchItem {
	if t := bytes.TrimLeft(text, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return batchItem{err: invalid("item is not an object")}
	}
	p := params{}
	if err := parseJSONObject(text, p); err != nil {
		return batchItem{err: invalid("%v", err)}
	}
	kind, present, ok := p.scalar("type")
	if !present {
		kind = "publish"
	}
	if !ok || kind != "publish" && kind != "kick" {
		return batchItem{err: invalid("type must be publish or kick")}
	}
	r, err := readRequest(p, kind, h)
	if err != nil {
		return batchItem{err: refusalOf(err)}
	}
	return batchItem{req: r}
}
