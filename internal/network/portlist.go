package network

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// Port lists without fields= answer from each port's rendering, kept in its row (list_doc)
// and stamped with the revision it renders (list_revision): reading a few columns of thousands
// of rows and copying their bytes is several times faster than reading every column, the
// document, the addresses and the tags, and encoding them. A row whose stamp is not its
// revision — a change made elsewhere (a subnet delete, a router) that bumped the revision
// without rendering the port again — is loaded and rendered on the fly, so a stale rendering
// is never answered. Every change that keeps a port's revision must call refreshPortList.

// listedColumns are what a list reads of each port: the rendering only when it is fresh.
const listedColumns = "net_port.id, net_port.project_id, net_port.network_id, " +
	"CASE WHEN net_port.list_revision = net_port.revision_number THEN net_port.list_doc END"

// A rendering is three parts, each ended by a newline (which JSON escapes in strings and
// json.Marshal writes nowhere else): the binding attributes; the name and description; and the
// attributes from mac_address on, without the binding ones. Id, network and project, columns
// read anyway, are left out of it, so that more rows fit in a page. The binding attributes go
// before ip_allocation: strings in JSON escape their quotes, and no object in a port before
// ip_allocation has such a key, so its first occurrence is the attribute.
const (
	partEnd   = "\n"
	bindingAt = `,"ip_allocation":`
)

// maxListDoc is the longest rendering kept in a row (MySQL's TEXT); longer ones are rendered on
// the fly.
const maxListDoc = 65535

// listedPort is one port of a list: its rendering when the row has a fresh one, else one made
// on the fly.
type listedPort struct {
	id, projectID, networkID string
	binding, names, rest     string // the parts of the row's rendering, when fresh
	at                       int    // where binding goes in rest
	fresh                    bool
	hidden                   []string // the binding attributes the caller may not see
	rendered                 []byte   // when not fresh, rendered on the fly
}

// scanListed reads a row of listedColumns.
func scanListed(r db.Scanner) (listedPort, error) {
	var l listedPort
	var doc sql.NullString
	if err := r.Scan(&l.id, &l.projectID, &l.networkID, &doc); err != nil {
		return l, err
	}
	var ok1, ok2 bool
	l.binding, l.names, ok1 = strings.Cut(doc.String, partEnd)
	l.names, l.rest, ok2 = strings.Cut(l.names, partEnd)
	l.at = strings.Index(l.rest, bindingAt)
	l.fresh = doc.Valid && ok1 && ok2 && l.at >= 0
	return l, nil
}

// listListedPorts runs a parsed list query (fields aside) for the ports' renderings, in order.
// A whole list without conditions (an admin's) reads its ids in order first, from the id index
// alone, then the rows as the table holds them (eachListedRow), and puts them in place: SQLite
// walks an ORDER BY through the index with a table lookup per row, which costs twice as much
// with thousands of rows. Other lists take one ordered query.
func listListedPorts(ctx context.Context, q *db.DB, lq listQuery) ([]listedPort, error) {
	if lq.limit > 0 || lq.marker != "" || lq.where.String() != "" {
		return listRows(ctx, q, portKind, "Port", "SELECT "+listedColumns+" FROM net_port", lq, scanListed)
	}
	order, err := portKind.orderAndPage(&lq, nil) // no marker
	if err != nil {
		return nil, err
	}
	ids, err := db.QueryStrings(ctx, q, "SELECT net_port.id FROM net_port"+order)
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	listed := make([]listedPort, len(ids))
	err = eachListedRow(ctx, q, func(l listedPort) {
		if i, ok := at[l.id]; ok {
			listed[i] = l
		}
	})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(listed, func(l listedPort) bool { return l.id == "" }), nil // deleted in between
}

// listParts is how many parts SQLite reads a whole list in, side by side.
const listParts = 2

// eachListedRow calls fn for every row of net_port, in no order. SQLite, where reading the rows
// (page by page, through a small cache) is most of a whole list's time, reads the table in
// parts by rowid, side by side on as many connections of its read pool: fn may be called from
// several goroutines at once, never twice for a port.
func eachListedRow(ctx context.Context, q *db.DB, fn func(listedPort)) error {
	query := "SELECT " + listedColumns + " FROM net_port"
	each := func(query string, args ...any) error {
		return db.EachRow(ctx, q, query, args, func(r db.Scanner) error {
			l, err := scanListed(r)
			if err == nil {
				fn(l)
			}
			return err
		})
	}
	if q.Dialect() != db.SQLite {
		return each(query)
	}
	var lo, hi sql.NullInt64
	if err := q.QueryRow(ctx, "SELECT MIN(rowid), MAX(rowid) FROM net_port").Scan(&lo, &hi); err != nil || !lo.Valid {
		return err
	}
	step := (hi.Int64-lo.Int64)/listParts + 1
	errs := make([]error, listParts)
	var wg sync.WaitGroup
	for i := range listParts {
		from := lo.Int64 + int64(i)*step
		wg.Go(func() { errs[i] = each(query+" WHERE rowid >= ? AND rowid < ?", from, from+step) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// renderUnlisted renders the ports that are not fresh, loading them; a port deleted since the
// list was read is left out.
func renderUnlisted(ctx context.Context, q db.Querier, listed []listedPort) ([]listedPort, error) {
	var ids []any
	for _, l := range listed {
		if !l.fresh {
			ids = append(ids, l.id)
		}
	}
	if len(ids) == 0 {
		return listed, nil
	}
	byID := make(map[string]*Port, len(ids))
	for chunk := range slices.Chunk(ids, inChunk) {
		ports, err := db.QueryAll(ctx, q, scanPort, "SELECT "+portColumns+" FROM net_port WHERE id IN ("+inList(len(chunk))+")", chunk...)
		if err == nil {
			err = loadPortChildren(ctx, q, ports)
		}
		if err != nil {
			return nil, err
		}
		for i := range ports {
			byID[ports[i].ID] = &ports[i]
		}
	}
	out := listed[:0]
	for _, l := range listed {
		if !l.fresh {
			p := byID[l.id]
			if p == nil {
				continue
			}
			var err error
			if l.rendered, err = appendPortJSON(nil, p, l.hidden); err != nil {
				return nil, err
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// writePortList answers a port list without fields=.
func (s *Service) writePortList(w http.ResponseWriter, r *http.Request, c *auth.Context, q listQuery) error {
	listed, err := listListedPorts(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	var links []httpapi.Link
	if q.limit > 0 && len(listed) == q.limit {
		links = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, listed[len(listed)-1].id, q.limit)}}
	}
	hiding := s.portHiding(c)
	for i := range listed {
		l := &listed[i]
		l.hidden = hiding(l.projectID, l.networkID)
		if len(l.hidden) != 0 && len(l.hidden) != len(bindingAttrs) {
			l.fresh = false // some binding attributes shown, others not: not what the row keeps
		}
	}
	if listed, err = renderUnlisted(r.Context(), s.db, listed); err != nil {
		return err
	}
	body, err := newPortListBody(listed, links)
	if err != nil {
		return err
	}
	h := w.Header() // as httpapi's WriteRawJSON, without holding the whole answer
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(body.size))
	w.WriteHeader(http.StatusOK)
	_ = body.writeTo(w) // a client that went away is no error of the request
	return nil
}

// portHiding returns what hiddenPortAttrs answers for the caller on a port of a project and
// network, asking the policy once per project and network.
func (s *Service) portHiding(c *auth.Context) func(projectID, networkID string) []string {
	seen := map[[2]string][]string{}
	return func(projectID, networkID string) []string {
		key := [2]string{projectID, networkID}
		h, ok := seen[key]
		if !ok {
			h = s.hiddenPortAttrs(c, map[string]string{"project_id": projectID, "tenant_id": projectID, "network_id": networkID})
			seen[key] = h
		}
		return h
	}
}

// portListBody is the answer of a port list without fields=, {"ports": […]} with the next link
// when there is one — byte for byte what json.Marshal renders of the map of portDocs it
// replaces — as the pieces it is written from, and its length.
type portListBody struct {
	listed []listedPort
	links  []byte // `,"ports_links":[…]`, or nothing
	size   int
}

// newPortListBody sizes the answer of listed ports and the next link, if any.
func newPortListBody(listed []listedPort, links []httpapi.Link) (portListBody, error) {
	b := portListBody{listed: listed, size: len(`{"ports":[]}`)}
	if links != nil {
		var err error
		if b.links, err = appendMarshaled([]byte(`,"ports_links":`), links); err != nil {
			return b, err
		}
	}
	b.size += len(b.links) + max(len(listed)-1, 0) // the commas
	for _, l := range listed {
		switch {
		case !l.fresh:
			b.size += len(l.rendered)
			continue
		case len(l.hidden) == 0:
			b.size += len(l.binding)
		}
		b.size += len(`{"id":`) + jsonStringLen(l.id) + len(l.names) + portOwnersLen(l.networkID, l.projectID) + len(l.rest)
	}
	return b, nil
}

// writeTo writes the answer.
func (b portListBody) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"ports":[`)
	var head []byte
	for i, l := range b.listed {
		if i > 0 {
			bw.WriteByte(',')
		}
		if !l.fresh {
			bw.Write(l.rendered)
			continue
		}
		head = appendStrField(head[:0], `{"id":`, l.id)
		head = appendPortOwners(append(head, l.names...), l.networkID, l.projectID)
		bw.Write(head)
		if len(l.hidden) == 0 {
			bw.WriteString(l.rest[:l.at])
			bw.WriteString(l.binding)
			bw.WriteString(l.rest[l.at:])
		} else {
			bw.WriteString(l.rest)
		}
	}
	bw.WriteByte(']')
	bw.Write(b.links)
	bw.WriteByte('}')
	return bw.Flush() // bufio keeps the first error, which Flush returns
}

// refreshPortList renders a port, as its transaction has left it, into its row for lists,
// stamped with its revision. A port too long to keep, or that does not render, is left to be
// rendered on the fly.
func refreshPortList(ctx context.Context, tx *db.Tx, id string) error {
	p, err := getPort(ctx, tx, id)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, "UPDATE net_port SET list_doc = ?, list_revision = ? WHERE id = ?", listDoc(&p), p.Revision, id)
	return mustAffect(res, err, "Port", id)
}

// listDoc is a port's rendering for its row (the parts that listedPort reads); nil (NULL) when
// it is too long to keep or does not render.
func listDoc(p *Port) any {
	b, err1 := appendBinding(nil, p, nil)
	b = appendPortNames(append(b, partEnd...), p)
	b, err2 := appendPortRest(append(b, partEnd...), p, bindingAttrs)
	if err1 != nil || err2 != nil || len(b) > maxListDoc {
		return nil
	}
	return string(b)
}
