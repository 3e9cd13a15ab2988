package network

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// colType says how a filter value is read.
type colType int

const (
	colString colType = iota
	colBool
	colInt
)

// column is an attribute lists can filter (and, when sortable, sort) on: a SQL expression
// compared with IN (…), or a condition template whose %s receives the IN list.
type column struct {
	expr     string
	cond     string // e.g. "EXISTS (SELECT … AND s.network_type IN (%s))"; "" = expr IN (…)
	typ      colType
	sortable bool
}

// kind is one resource type for the list machinery.
type kind struct {
	singular, plural string
	table            string
	columns          map[string]column
}

// listQuery is a parsed list request: Neutron's filters, tag filters, sort, page and fields.
type listQuery struct {
	where  db.Where
	sort   []httpapi.SortKey
	limit  int
	marker string
	fields []string
}

// standardColumns are the filterable attributes every resource has.
func standardColumns(table string) map[string]column {
	return map[string]column{
		"id":              {expr: table + ".id", sortable: true},
		"name":            {expr: table + ".name", sortable: true},
		"description":     {expr: table + ".description"},
		"project_id":      {expr: table + ".project_id", sortable: true},
		"tenant_id":       {expr: table + ".project_id", sortable: true},
		"revision_number": {expr: table + ".revision_number", typ: colInt},
	}
}

// listParams are the query parameters that are not attribute filters.
var listParams = []string{"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse",
	"tags", "tags-any", "not-tags", "not-tags-any"}

// parseList reads a list request against a kind. An unknown filter is a 400, as Neutron's
// filter-validation extension has it.
func (k kind) parseList(r *http.Request, pageMax int) (listQuery, error) {
	params := r.URL.Query()
	var q listQuery
	for name, values := range params {
		if slices.Contains(listParams, name) {
			continue
		}
		col, ok := k.columns[name]
		if !ok {
			return q, &BadRequestError{Type: "HTTPBadRequest", Message: "[" + name + "] is invalid attribute for filtering"}
		}
		args := make([]any, 0, len(values))
		for _, v := range values {
			a, err := filterValue(col.typ, name, v)
			if err != nil {
				return q, err
			}
			args = append(args, a)
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		if col.cond != "" {
			q.where.Add(strings.Replace(col.cond, "%s", in, 1), args...)
		} else {
			q.where.Add(col.expr+" IN ("+in+")", args...)
		}
	}
	k.tagFilters(&q.where, params)
	var sortable []string
	for name, c := range k.columns {
		if c.sortable {
			sortable = append(sortable, name)
		}
	}
	slices.Sort(sortable)
	var err error
	if q.sort, err = httpapi.ParseSort(r, sortable); err != nil {
		return q, err
	}
	page, err := httpapi.ParsePage(r, 0, pageMax)
	if err != nil {
		return q, err
	}
	q.limit, q.marker = page.Limit, page.Marker
	for _, f := range params["fields"] {
		for item := range strings.SplitSeq(f, ",") {
			if item = strings.TrimSpace(item); item != "" {
				q.fields = append(q.fields, item)
			}
		}
	}
	return q, nil
}

// filterValue converts one filter value to its column's type.
func filterValue(t colType, name, v string) (any, error) {
	switch t {
	case colBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalid("'%s' is not a valid boolean value for %s", v, name)
		}
		return b, nil
	case colInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, invalid("'%s' is not an integer for %s", v, name)
		}
		return n, nil
	}
	return v, nil
}

// tagFilters adds tags (all), tags-any, not-tags and not-tags-any, each a comma-separated list.
func (k kind) tagFilters(w *db.Where, params map[string][]string) {
	has := "EXISTS (SELECT 1 FROM net_tag t WHERE t.resource_id = " + k.table + ".id AND t.tag = ?)"
	hasAny := "EXISTS (SELECT 1 FROM net_tag t WHERE t.resource_id = " + k.table + ".id AND t.tag IN (%s))"
	for _, name := range []string{"tags", "tags-any", "not-tags", "not-tags-any"} {
		for _, v := range params[name] {
			var tags []any
			for t := range strings.SplitSeq(v, ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
			if len(tags) == 0 {
				continue
			}
			in := strings.TrimSuffix(strings.Repeat("?, ", len(tags)), ", ")
			switch name {
			case "tags":
				for _, t := range tags {
					w.Add(has, t)
				}
			case "tags-any":
				w.Add(strings.Replace(hasAny, "%s", in, 1), tags...)
			case "not-tags":
				conds := make([]string, len(tags))
				for i := range tags {
					conds[i] = has
				}
				w.Add("NOT ("+strings.Join(conds, " AND ")+")", tags...)
			case "not-tags-any":
				w.Add("NOT "+strings.Replace(hasAny, "%s", in, 1), tags...)
			}
		}
	}
}

// orderAndPage renders ORDER BY (the sort keys, then id) and the keyset condition after the
// marker, whose sort values are read first.
func (k kind) orderAndPage(q *listQuery, markerValues func(exprs []string) ([]any, error)) (string, error) {
	keys := append(slices.Clone(q.sort), httpapi.SortKey{Key: "id"})
	if len(q.sort) > 0 {
		keys[len(keys)-1].Desc = q.sort[len(q.sort)-1].Desc
	}
	exprs := make([]string, len(keys))
	order := make([]string, len(keys))
	for i, sk := range keys {
		exprs[i] = k.columns[sk.Key].expr
		order[i] = exprs[i] + " ASC"
		if sk.Desc {
			order[i] = exprs[i] + " DESC"
		}
	}
	if q.marker != "" {
		vals, err := markerValues(exprs)
		if err != nil {
			return "", err
		}
		desc := make([]bool, len(keys))
		for i, sk := range keys {
			desc[i] = sk.Desc
		}
		cond, args := db.After(exprs, desc, vals)
		q.where.Add(cond, args...)
	}
	return " ORDER BY " + strings.Join(order, ", "), nil
}

// selectFields keeps only the requested fields of a rendered resource (all when none).
func selectFields(v map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return v
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if val, ok := v[f]; ok {
			out[f] = val
		}
	}
	return out
}

// listRows runs a parsed list query over a kind: the rows of selectFrom ("SELECT … FROM
// table") that match, in order, one page after the marker. kindName names a missing marker.
func listRows[T any](ctx context.Context, q db.Querier, k kind, kindName, selectFrom string, lq listQuery,
	scan func(db.Scanner) (T, error)) ([]T, error) {
	order, err := k.orderAndPage(&lq, func(exprs []string) ([]any, error) {
		return markerValues(ctx, q, k.table, exprs, lq.marker, kindName)
	})
	if err != nil {
		return nil, err
	}
	query := selectFrom + lq.where.String() + order
	args := lq.where.Args
	if lq.limit > 0 {
		query += " LIMIT ?"
		args = append(args, lq.limit)
	}
	return db.QueryAll(ctx, q, scan, query, args...)
}
