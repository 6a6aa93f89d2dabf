package pushapi

import (
	"context"
	"maps"
	"slices"

	"github.com/gin-gonic/gin"
)

// typeHandler serves one request type (type=NAME) once the request's
// access is checked, within ctx (the call's bound).
type typeHandler func(a *api, ctx context.Context, c *gin.Context, p params)

// types are the request types the API serves, by the name of their type
// field: the one list of them. Any other type is answered 200 + fail.
// docs/openapi.yaml describes each (test/openapi checks it against Types).
var types = map[string]typeHandler{
	"publish": func(a *api, ctx context.Context, c *gin.Context, p params) { a.publish(ctx, c, p, "publish") },
	"kick":    func(a *api, ctx context.Context, c *gin.Context, p params) { a.publish(ctx, c, p, "kick") },
	"online":  (*api).online,
	"clients": (*api).clients,
	"count":   (*api).count,
	"join":    func(a *api, ctx context.Context, c *gin.Context, p params) { a.membership(ctx, c, p, true) },
	"leave":   func(a *api, ctx context.Context, c *gin.Context, p params) { a.membership(ctx, c, p, false) },
	"ungroup": (*api).ungroup,
	"uids":    (*api).uids,
	"held":    func(a *api, ctx context.Context, c *gin.Context, p params) { a.held(ctx, c, p, "held") },
	"purge":   func(a *api, ctx context.Context, c *gin.Context, p params) { a.held(ctx, c, p, "purge") },
}

// Types returns the names of the request types the API serves, sorted.
func Types() []string { return slices.Sorted(maps.Keys(types)) }
