package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mlasim/mlasim/mla"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// cookieName is the name of the session cookie a join link sets.
const cookieName = "mlasim_session"

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"legal": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format("2006-01-02 15:04")
	},
	"role": RoleLabel,
	"css":  func() template.CSS { b, _ := staticFS.ReadFile("static/train.css"); return template.CSS(b) },
	"seconds": func(d time.Duration) string {
		return d.Round(time.Second).String()
	},
	"duration": func(d time.Duration) string { return mla.FormatLegalDuration(d) },
	"join":     strings.Join,
	"label":    func(s string) string { return strings.ReplaceAll(s, "-", " ") },
	"yes":      func(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] },
	"dict":     func(v RequestView, a Action) formData { return formData{V: v, A: a} },
	"add":      func(a, b int) int { return a + b },
	// available lists the grounds a further measure's screening found.
	"available": func(s mla.Screening) []mla.Finding { return s.Available() },
	"grounds": func(s *mla.Screening) []mla.Finding {
		if s == nil {
			return nil
		}
		out := s.Available()
		if p, ok := s.Postponement(); ok {
			out = append(out, p)
		}
		return out
	},
	"barred": func(s *mla.Screening) []mla.Finding {
		if s == nil {
			return nil
		}
		return s.Barred()
	},
	"duties": func(s *mla.Screening) []mla.Finding {
		if s == nil {
			return nil
		}
		return s.Duties()
	},
}).ParseFS(templateFS, "templates/*.html"))

// formData is what a form of a request's panel is built from.
type formData struct {
	V RequestView
	A Action
}

// Server serves a session's pages.
type Server struct {
	s *Session
	// base is the address pages are reached at, for the join links the console shows
	// ("http://127.0.0.1:8390").
	base string
}

// NewServer serves a session's pages, reached at base.
func NewServer(s *Session, base string) *Server { return &Server{s: s, base: base} }

// JoinURL is the link that opens a seat or the console.
func (h *Server) JoinURL(token string) string { return h.base + "/join/" + token }

// Handler returns the session's HTTP handler. Unsafe requests from another origin are refused (the
// standard library's cross-origin protection), so a page elsewhere cannot act for a trainee.
func (h *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	if h.s.observer {
		// A lifecycle page: the console's view, read-only, for anyone who can reach it.
		mux.HandleFunc("GET /{$}", h.console)
		mux.HandleFunc("GET /events", h.consoleEvents)
		return securityHeaders(mux)
	}
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /join/{token}", h.join)
	mux.HandleFunc("GET /console", h.trainerOnly(h.console))
	mux.HandleFunc("GET /console/events", h.trainerOnly(h.consoleEvents))
	mux.HandleFunc("POST /console/start", h.trainerOnly(h.start))
	mux.HandleFunc("POST /console/end", h.trainerOnly(h.end))
	mux.HandleFunc("POST /console/clock", h.trainerOnly(h.clock))
	mux.HandleFunc("POST /console/inject/{n}", h.trainerOnly(h.inject))
	mux.HandleFunc("POST /console/hints/{seat}", h.trainerOnly(h.hints))
	mux.HandleFunc("GET /console/report.html", h.trainerOnly(h.reportHTML))
	mux.HandleFunc("GET /console/report.csv", h.trainerOnly(h.reportData(".csv", "text/csv; charset=utf-8", WriteCSV)))
	mux.HandleFunc("GET /console/report.json", h.trainerOnly(h.reportData(".json", "application/json", WriteJSON)))
	mux.HandleFunc("GET /seat", h.seatOnly(h.seat))
	mux.HandleFunc("GET /seat/events", h.seatOnly(h.seatEvents))
	mux.HandleFunc("POST /seat/act/{request}/{action}", h.seatOnly(h.act))
	return http.NewCrossOriginProtection().Handler(securityHeaders(mux))
}

// securityHeaders keeps the pages out of frames and their scripts to the app's own.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// message renders a page that says one thing, with a status.
func message(w http.ResponseWriter, code int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = pages.ExecuteTemplate(w, "message.html", map[string]string{"Title": title, "Text": text})
}

func (h *Server) home(w http.ResponseWriter, r *http.Request) {
	message(w, http.StatusOK, "mlasim training", "Open the link the trainer gave you: it opens your seat.")
}

// join exchanges a join token for a session cookie, and sends the browser to its page.
func (h *Server) join(w http.ResponseWriter, r *http.Request) {
	cookie, p, err := h.s.join(r.PathValue("token"))
	switch {
	case errors.Is(err, errEnded):
		message(w, http.StatusGone, "Session ended", err.Error())
		return
	case err != nil:
		message(w, http.StatusNotFound, "Link not valid", err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: cookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	if p.trainer {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	h.s.notify()
	http.Redirect(w, r, "/seat", http.StatusSeeOther)
}

func (h *Server) principal(r *http.Request) (principal, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return principal{}, false
	}
	return h.s.who(c.Value)
}

func (h *Server) trainerOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.principal(r)
		switch {
		case !ok:
			message(w, http.StatusUnauthorized, "Not joined", "Open the console with the trainer's link.")
		case !p.trainer:
			message(w, http.StatusForbidden, "Trainer only", "The trainer's console is for the trainer: your link opens your seat.")
		default:
			next(w, r)
		}
	}
}

type seatHandler func(w http.ResponseWriter, r *http.Request, seat *Seat)

func (h *Server) seatOnly(next seatHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.principal(r)
		switch {
		case !ok:
			message(w, http.StatusUnauthorized, "Not joined", "Open your seat with the link the trainer gave you.")
		case p.seat == nil:
			message(w, http.StatusForbidden, "Seats only", "This page is a trainee's seat; the trainer's is the console.")
		default:
			next(w, r, p.seat)
		}
	}
}

func render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

func (h *Server) console(w http.ResponseWriter, r *http.Request) {
	render(w, "console.html", h.s.consoleView(h.JoinURL))
}

func (h *Server) start(w http.ResponseWriter, r *http.Request) {
	if err := h.s.Start(r.Context()); err != nil {
		message(w, http.StatusConflict, "Not started", err.Error())
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

func (h *Server) end(w http.ResponseWriter, r *http.Request) {
	h.s.End()
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// clock pauses or resumes the legal clock.
func (h *Server) clock(w http.ResponseWriter, r *http.Request) {
	if err := h.s.SetPaused(r.Context(), r.FormValue("paused") == "yes"); err != nil {
		message(w, http.StatusConflict, "Clock", err.Error())
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// inject fires one of the scenario's by-hand injects.
func (h *Server) inject(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err == nil {
		err = h.s.Fire(r.Context(), n)
	}
	if err != nil {
		message(w, http.StatusConflict, "Inject not fired", err.Error())
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

func (h *Server) hints(w http.ResponseWriter, r *http.Request) {
	if !h.s.SetHints(r.PathValue("seat"), r.FormValue("on") == "yes") {
		message(w, http.StatusNotFound, "No such seat", fmt.Sprintf("There is no seat %q.", r.PathValue("seat")))
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// reportHTML serves the after-action report: one self-contained page, printable.
func (h *Server) reportHTML(w http.ResponseWriter, r *http.Request) {
	render(w, "report.html", h.s.reportView())
}

// reportData serves the scores as a download.
func (h *Server) reportData(ext, mime string, write func(io.Writer, []Score) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", mime)
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "after-action-"+h.s.sc.ID+ext))
		if err := write(w, h.s.Scores()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}

func (h *Server) seat(w http.ResponseWriter, r *http.Request, seat *Seat) {
	render(w, "seat.html", h.s.seatView(seat))
}

// act relays a seat's form. With htmx the answer is the request's panel, showing the result or the
// refusal in place; a plain form post gets the whole page.
func (h *Server) act(w http.ResponseWriter, r *http.Request, seat *Seat) {
	id := r.PathValue("request")
	a, ok := actionOf(r.PathValue("action"))
	if err := r.ParseForm(); err != nil || !ok {
		message(w, http.StatusBadRequest, "Bad form", "The form could not be read.")
		return
	}
	err := h.s.Act(r.Context(), seat, id, a, r.PostForm)
	var ae *ActionError
	if err != nil && !errors.As(err, &ae) {
		ae = refuse(http.StatusInternalServerError, "%v", err)
	}
	p, _, found := h.s.request(id)
	if !found || !seat.Acts(p.Request) {
		if ae == nil {
			ae = refuse(http.StatusForbidden, "Your seat does not act on request %q.", id)
		}
		message(w, ae.Code, "Refused", ae.Msg)
		return
	}
	v := h.s.requestView(seat, p)
	if ae != nil {
		v.Error = ae.Msg
		w.WriteHeader(ae.Code)
	}
	if r.Header.Get("HX-Request") == "true" {
		render(w, "request.html", v)
		return
	}
	sv := h.s.seatView(seat)
	for i := range sv.Requests {
		if sv.Requests[i].ID == id {
			sv.Requests[i] = v
		}
	}
	render(w, "seat.html", sv)
}

// events streams a page's fragments as server-sent events: each fragment again whenever it changes,
// named so that htmx swaps it into its element.
func (h *Server) events(w http.ResponseWriter, r *http.Request, fragments func() map[string]string) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	sent := map[string][32]byte{}
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		changed := h.s.Changed()
		for name, html := range fragments() {
			sum := sha256.Sum256([]byte(html))
			if sent[name] == sum {
				continue
			}
			sent[name] = sum
			fmt.Fprintf(w, "event: %s\n", name)
			for _, line := range strings.Split(html, "\n") {
				fmt.Fprintf(w, "data: %s\n", line)
			}
			fmt.Fprint(w, "\n")
		}
		flusher.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		}
	}
}

func fragment(name string, data any) string {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return "<p class=error>" + template.HTMLEscapeString(err.Error()) + "</p>"
	}
	return buf.String()
}

func (h *Server) seatEvents(w http.ResponseWriter, r *http.Request, seat *Seat) {
	h.events(w, r, func() map[string]string {
		v := h.s.seatView(seat)
		out := map[string]string{"state": fragment("seat-state", v)}
		for _, rv := range v.Requests {
			out["req-"+rv.ID] = fragment("request.html", rv)
		}
		return out
	})
}

func (h *Server) consoleEvents(w http.ResponseWriter, r *http.Request) {
	h.events(w, r, func() map[string]string {
		v := h.s.consoleView(h.JoinURL)
		// The controls are a fragment of their own, swapped only when the session's state changes, so
		// a button is never replaced under the trainer's click while the swimlanes move.
		return map[string]string{"controls": fragment("console-controls", v), "console": fragment("console-body", v)}
	})
}

// Serve serves the session's pages on ln and keeps them in step with its workflows (polling every
// poll), until ctx ends; the pages' event streams end with it. It returns the listener's error, or nil
// once shut down.
func (h *Server) Serve(ctx context.Context, ln net.Listener, poll time.Duration) error {
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go h.s.Poll(ctx, poll)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
