// SPDX-License-Identifier: GPL-2.0
/*
 * top's curses view: the summary, a message line, the column header and
 * one line per domain, kept current by refreshes and notifications. Keys
 * change what is shown or start and stop top's own observers; the data
 * comes from sampler.c as in batch mode.
 */
#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "top.h"

#define HEADER_LINES 4		/* two of summary, the message, the columns */
#define MESSAGE_NS (5 * 1000000000ull)

struct screen {
	struct top *t;
	uint64_t selected;	/* the domain id under the cursor, 0 for none */
	unsigned int first;	/* the first row shown */
	char message[256];
	uint64_t message_until;
	bool help;
};

static void say(struct screen *sc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sc->message, sizeof(sc->message), fmt, ap);
	va_end(ap);
	sc->message_until = clock_ns(CLOCK_MONOTONIC) + MESSAGE_NS;
}

/* The failure of a request, with the kernel's reason when it gave one. */
static void say_failed(struct screen *sc, int rc, const char *what, uint64_t id)
{
	char why[TEXT_ESCAPED_SIZE(128)];

	text_escape(why, sizeof(why), iommudirty_errmsg(sc->t->c->h));
	say(sc, "cannot %s domain %llu: %s%s%s", what, (unsigned long long)id, strerror(-rc),
	    *why ? ": " : "", why);
}

static int selected_index(const struct screen *sc)
{
	for (unsigned int i = 0; i < sc->t->n_view; i++)
		if (sc->t->view[i] == sc->selected)
			return (int)i;
	return -1;
}

/* Keep the cursor on a shown row and that row on the screen. */
static void clamp_cursor(struct screen *sc)
{
	struct top *t = sc->t;
	int i = selected_index(sc);
	unsigned int rows = LINES > HEADER_LINES ? (unsigned int)(LINES - HEADER_LINES) : 1;

	if (!t->n_view) {
		sc->selected = 0;
		sc->first = 0;
		return;
	}
	if (i < 0) {
		i = 0;
		sc->selected = t->view[0];
	}
	if ((unsigned int)i < sc->first)
		sc->first = (unsigned int)i;
	if ((unsigned int)i >= sc->first + rows)
		sc->first = (unsigned int)i - rows + 1;
	if (sc->first + rows > t->n_view)
		sc->first = t->n_view > rows ? t->n_view - rows : 0;
}

static void move_cursor(struct screen *sc, int by)
{
	int i = selected_index(sc), n = (int)sc->t->n_view;

	if (!n)
		return;
	i = i < 0 ? 0 : i + by;
	i = i < 0 ? 0 : i >= n ? n - 1 : i;
	sc->selected = sc->t->view[i];
}

static const char *const help_text[] = {
	"iommu-dirtyctl top: keys",
	"",
	"  q          quit",
	"  h ?        this help (any key returns)",
	"  Up Down    select a domain (also k j, PgUp PgDn, Home End)",
	"  s          sort by a field typed by name: id pid comm devices mechanism",
	"             tracking mapped pages bytes share huge harvests observers",
	"  < >        sort by the column left or right of the current one",
	"  R          reverse the sort order",
	"  d          refresh delay in seconds (0.1 to 3600)",
	"  /          filter: id or pid, or text in the command, devices or mechanism",
	"  e          observe the selected domain (CAP_SYS_ADMIN): its rate is then",
	"             measured by top itself; the owner loses nothing",
	"  x          stop observing the selected domain",
	"",
	"Columns: TRACK owner = the owner (VMM) tracks, obs = only observers do,",
	"off = not tracking, - = cannot track, gone = destroyed. SRC own = rates from",
	"the owner's harvests (counted when it harvests), top = from top's observer,",
	"- = nobody reads the domain. DIRTY% = bytes dirtied in the interval over",
	"the bytes mapped. HUGE% = of the dirty records' bytes, those of IOPTEs larger",
	"than the domain's page: whole huge IOPTEs. The IOMMU sees DMA writes only.",
};

static void draw(struct screen *sc)
{
	struct top *t = sc->t;
	char l1[512], l2[512], line[512];
	int width = COLS > 0 ? COLS : 80;

	erase();
	if (sc->help) {
		for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]) &&
		     (int)i < LINES; i++)
			mvaddnstr((int)i, 0, help_text[i], width);
		refresh();
		return;
	}
	clamp_cursor(sc);
	top_format_summary(t, l1, l2, sizeof(l1));
	mvaddnstr(0, 0, l1, width);
	mvaddnstr(1, 0, l2, width);
	if (clock_ns(CLOCK_MONOTONIC) < sc->message_until) {
		attron(A_BOLD);
		mvaddnstr(2, 0, sc->message, width);
		attroff(A_BOLD);
	} else {
		mvaddnstr(2, 0, "h help  q quit  e/x observe  s < > sort  / filter  d delay", width);
	}
	top_format_columns(t, line, sizeof(line));
	attron(A_REVERSE);
	mvaddnstr(3, 0, line, width);
	for (int x = (int)strlen(line); x < width; x++)
		addch(' ');
	attroff(A_REVERSE);
	for (unsigned int i = sc->first; i < t->n_view; i++) {
		const struct sample_row *r = top_view_row(t, i);
		int y = HEADER_LINES + (int)(i - sc->first);
		attr_t attr;

		if (y >= LINES)
			break;
		if (!r)
			continue;
		attr = r->gone ? A_DIM : r->is_new ? A_BOLD : A_NORMAL;
		if (r->id == sc->selected)
			attr |= A_REVERSE;
		top_format_row(t, r, line, sizeof(line));
		attron(attr);
		mvaddnstr(y, 0, line, width);
		attroff(attr);
	}
	refresh();
}

/*
 * Read a line at the message line; false when cancelled (Escape, or an
 * empty answer where @empty_ok is false) or when a signal stops top.
 */
static bool prompt(const char *question, char *buf, size_t len, bool empty_ok)
{
	size_t used = 0;
	bool done = false;

	buf[0] = '\0';
	curs_set(1);
	while (!cli_stop && !done) {
		struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
		int ch;

		move(2, 0);
		clrtoeol();
		mvprintw(2, 0, "%s%s", question, buf);
		refresh();
		/* signals are taken only while waiting (clock.c): wait here, then read */
		cli_wait(&in, 1, clock_ns(CLOCK_MONOTONIC) + 200000000u);
		ch = getch();
		switch (ch) {
		case ERR:
		case KEY_RESIZE:
			break;
		case 27:	/* Escape */
			used = 0;
			buf[0] = '\0';
			done = true;
			empty_ok = false;
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			done = true;
			break;
		case KEY_BACKSPACE:
		case 127:
		case 8:
			if (used)
				buf[--used] = '\0';
			break;
		default:
			if (ch >= 32 && ch < 127 && used + 1 < len) {
				buf[used++] = (char)ch;
				buf[used] = '\0';
			}
		}
	}
	curs_set(0);
	return !cli_stop && done && (used || empty_ok);
}

static void ask_sort(struct screen *sc)
{
	struct top *t = sc->t;
	char name[32];
	int rc;

	if (!prompt("Sort by (id pid comm devices mechanism tracking mapped pages bytes "
		    "share huge harvests observers): ", name, sizeof(name), false))
		return;
	rc = top_sort_parse(name, &t->sort);
	if (rc)
		say(sc, "%s sort field '%s'", rc == -EEXIST ? "ambiguous" : "no", name);
}

static void ask_delay(struct screen *sc)
{
	struct top *t = sc->t;
	char text[16];
	uint64_t ms;

	if (!prompt("Delay in seconds: ", text, sizeof(text), false))
		return;
	if (parse_seconds_ms(text, &ms) || ms < 100 || ms > 3600000)
		say(sc, "the delay is 0.1 to 3600 seconds, not '%s'", text);
	else
		t->delay_ms = ms;
}

static void ask_filter(struct screen *sc)
{
	struct top *t = sc->t;
	char text[sizeof(t->filter)];

	if (prompt("Filter (empty: all): ", text, sizeof(text), true))
		snprintf(t->filter, sizeof(t->filter), "%s", text);
}

static void toggle_observe(struct screen *sc, bool on)
{
	struct sample_row *r = sc->selected ? sampler_find(&sc->t->s, sc->selected) : NULL;
	int rc;

	if (!r) {
		say(sc, "no domain selected");
		return;
	}
	rc = sampler_observe(&sc->t->s, r->id, on);
	if (rc)
		say_failed(sc, rc, on ? "observe" : "stop observing", r->id);
	else
		say(sc, on ? "observing domain %llu: its rate appears at the next refresh" :
			"stopped observing domain %llu", (unsigned long long)r->id);
}

/* One key; false to quit. Sets *refresh_now when the refresh is due at once. */
static bool on_key(struct screen *sc, int ch, bool *refresh_now)
{
	struct top *t = sc->t;
	int rows = LINES > HEADER_LINES ? LINES - HEADER_LINES : 1;

	if (sc->help) {
		sc->help = ch == KEY_RESIZE;
		return true;
	}
	switch (ch) {
	case 'q': return false;
	case 'h': case '?': sc->help = true; break;
	case KEY_UP: case 'k': move_cursor(sc, -1); break;
	case KEY_DOWN: case 'j': move_cursor(sc, 1); break;
	case KEY_PPAGE: move_cursor(sc, -rows); break;
	case KEY_NPAGE: move_cursor(sc, rows); break;
	case KEY_HOME: move_cursor(sc, -(int)t->n_view); break;
	case KEY_END: move_cursor(sc, (int)t->n_view); break;
	case 's': ask_sort(sc); break;
	case '<': t->sort = t->sort ? t->sort - 1 : SORT_N - 1; break;
	case '>': t->sort = (t->sort + 1) % SORT_N; break;
	case 'R': t->reverse = !t->reverse; break;
	case 'd': ask_delay(sc); *refresh_now = true; break;
	case '/': ask_filter(sc); break;
	case 'e': toggle_observe(sc, true); break;
	case 'x': toggle_observe(sc, false); break;
	case KEY_RESIZE: break;
	case ERR: break;
	default: say(sc, "unknown key; h for help"); break;
	}
	return true;
}

int top_screen(struct top *t)
{
	struct screen sc = { .t = t };
	uint64_t next = clock_ns(CLOCK_MONOTONIC);
	bool running = true;
	int rc = 0;

	if (!initscr())
		return cli_fail(t->c, -ENOTTY, "cannot start the screen");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	top_build_view(t);
	draw(&sc);
	while (running && !cli_stop) {
		bool refresh_now = false;
		int ch;

		next = cli_next_tick(next, t->delay_ms * 1000000u);
		while (running && !cli_stop && !refresh_now) {
			rc = top_wait(t, next, STDIN_FILENO);
			if (rc < 0)
				break;
			while ((ch = getch()) != ERR && running)
				running = on_key(&sc, ch, &refresh_now);
			if (rc == 0 && !refresh_now && clock_ns(CLOCK_MONOTONIC) >= next)
				break;
			if (t->s.resync)
				break;	/* notifications were lost: dump now */
			rc = top_build_view(t);
			if (rc)
				break;
			draw(&sc);
		}
		if (!running || cli_stop || rc < 0)
			break;
		if (refresh_now)
			next = clock_ns(CLOCK_MONOTONIC);
		rc = sampler_refresh(&t->s) ?: top_build_view(t);
		if (rc)
			break;
		if (t->s.read_error)
			say(&sc, "stopped observing domain %llu: %s",
			    (unsigned long long)t->s.read_error_id, strerror(-t->s.read_error));
		draw(&sc);
	}
	endwin();
	if (rc < 0)
		return cli_fail(t->c, rc, "cannot refresh");
	return EXIT_OK;
}
