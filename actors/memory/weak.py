"""WEAK: the view model of weak-memory.md section 2, LKMM-grade.

Memory is, per location, the list of its messages (stores) in coherence order. A *view* maps a
location to one of its messages (absent = the initial message); views join by taking the later
message per location. Each message carries a view: the stores it was ordered after, as others
must see them once they read it.

Per CPU: ``cur`` (the oldest message each later access may touch), ``rlx`` (join of the views of
messages its loads read), ``nr`` (the same for void RMWs), ``own`` (its own stores), ``oc`` (the
views its own stores carry), ``wmb`` (view carried by every later store), ``ul`` (view of its
last unlock). Global: ``S`` (the strong-fence
view), ``gp`` (view published at grace-period starts), ``published`` (per RCU epoch, the views
read-side sections ended with).

Choices: ``mm.read`` picks the message a load reads among those it may read, newest first;
``mm.place`` picks the gap in coherence order a store goes to, the end first. Value 0 is the SC
answer (newest message, end of the order).

Known strengthenings (the model may miss an outcome LKMM allows, never the reverse):

- RMWs and lock acquisitions execute in program order (this module has no out-of-order issue;
  the litmus interpreter may issue plain stores early, see actors/litmus).
- ``smp_mb__before_atomic`` / ``__after_atomic`` / ``__after_spinlock`` are full fences.
  ``smp_mb__after_unlock_lock`` (what preceded an unlock before a lock of the CPU) and
  ``smp_mb__after_srcu_read_unlock`` (what came up to the CPU's last srcu_read_unlock) order
  just what LKMM says before everything after them.
- A release (store, RMW write, unlock) also carries ``nr`` (LKMM's po-rel orders void RMW reads
  too); the lock-word write carries the view of the unlock it read and the CPU's last unlock.
- A store is placed after everything its own view, its CPU's ``cur`` and its dependencies
  (data, address and control: the ``if`` conditions around it) say about its location.
- rcu_read_unlock publishes ``cur | rlx | nr | oc``.
- Plain C accesses are treated as READ_ONCE/WRITE_ONCE (no data-race semantics).
- A store carries, of the views its dependencies (data, address, control) carry, what the
  strong-fence view S covers: LKMM's pb is prop ; strong-fence ; hb*, and a dependency is in
  hb. S may hold a store for another reason than the fence behind the dependency.
- A load-acquire that reads the CPU's own release is still an acquire: LKMM lets it be
  satisfied early (rfi is not in ppo), so it misses LB-release-acquire's Sometimes.
- In a test with a grace period the litmus interpreter issues no store early past an
  rcu_read_lock (it would lose the order the grace period gives what is po-after the lock), so
  it may miss load buffering into a later section there (C-RW-G+RW-R3+RW-R3). An unlock is
  always passed (the store then also counts as before it: only order is gained), and without a
  grace period a lock too: the brackets order nothing then (the collection's RW-R shapes).
- A store whose value only looks dependent (assigned a constant in an ``if`` around it,
  crypto-control-data) is not issued early: the interpreter does not speculate values.

Checked against herd7 on the current LKMM: the kernel's 47 tests, the scenario cores, our own
tests (tests/e2e/litmus) and the published collection's tests both decide; see README.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from actors.memory.base import (
    STRONG_FENCES,
    LoadOrder,
    Loc,
    MemoryModel,
    RmwOrder,
    StoreOrder,
    Update,
    Value,
    loc_key,
)


class Msg:
    """One store. ``idx`` is its position in its location's coherence order (kept current)."""

    __slots__ = ("cumul", "dep", "idx", "loc", "rmw_of", "taken", "value", "view", "writer")

    def __init__(self, loc: Loc, value: Value, writer: int) -> None:
        self.loc = loc
        self.value = value
        self.writer = writer
        self.view: View = {}
        # The view of what its address and value depend on: a later load of the writer's own
        # that reads this message is ordered after those loads too (LKMM's to-r includes
        # ``dep ; rfi``), so its value carries it. Another CPU's load does not get it.
        self.dep: View | None = None
        # An unlock's: the unlocking CPU's own stores and what they carried. A lock that reads
        # it orders its CPU's later stores after these (po-unlock-lock-po is a cumul-fence),
        # but not after what that CPU only read: the fence is not A-cumulative.
        self.cumul: View | None = None
        self.rmw_of: Msg | None = None  # the message this RMW write read
        self.taken = False  # an RMW read this message (its write follows it directly)
        self.idx = 0


View = dict[Loc, Msg]


def at(view: View | None, loc: Loc) -> int:
    if not view:
        return 0
    m = view.get(loc)
    return 0 if m is None else m.idx


def join_into(a: View, b: View | None) -> None:
    if not b:
        return
    for loc, m in b.items():
        old = a.get(loc)
        if old is None or old.idx < m.idx:
            a[loc] = m


def join(*views: View | None) -> View:
    out: View = {}
    for v in views:
        join_into(out, v)
    return out


def as_view(tok: object) -> View | None:
    """The view a dependency token carries (tokens other models hand out carry none)."""
    return tok if isinstance(tok, dict) else None


def _within(view: View | None, bound: View) -> View | None:
    """The part of ``view`` that ``bound`` covers (per location, messages no newer)."""
    if not view or not bound:
        return None
    out = {
        loc: m for loc, m in view.items() if (b := bound.get(loc)) is not None and m.idx <= b.idx
    }
    return out or None


def view_key(view: View | None) -> tuple[tuple[str, int], ...]:
    if not view:
        return ()
    return tuple(sorted((loc_key(loc), m.idx) for loc, m in view.items() if m.idx))


class Cpu:
    __slots__ = ("cur", "lk", "nr", "oc", "own", "rlx", "su", "ul", "ulo", "wmb")

    def __init__(self) -> None:
        self.cur: View = {}
        self.rlx: View = {}
        self.nr: View = {}
        self.own: View = {}
        # The join of the views its own stores carry: what is cumul-fence-before them, so
        # before any store a later fence or release orders after them (LKMM's cumul-fence*
        # chains: a store a release of this CPU carried is propagated before the stores a
        # later smp_wmb orders after that release).
        self.oc: View = {}
        self.wmb: View = {}
        self.ul: View = {}
        self.ulo: View = {}  # ``oc`` at its last unlock (the unlock's ``cumul``)
        # What came before the unlocks that precede this CPU's locks so far, in program order
        # or in the lock's coherence order (None: no lock of it followed an unlock): what
        # smp_mb__after_unlock_lock orders before everything after it (LKMM: [M] ; po ; [UL]
        # ; (co | po) ; [LKW] ; fencerel(After-unlock-lock) ; [M]).
        self.lk: View | None = None
        # What came up to the CPU's last srcu_read_unlock (None: none yet): the accesses
        # smp_mb__after_srcu_read_unlock orders before everything after it (LKMM:
        # [M] ; po? ; [Srcu-unlock] ; fencerel(After-srcu-read-unlock) ; [M]), not the ones
        # between that unlock and the fence.
        self.su: View | None = None

    def key(self) -> Hashable:
        views = (self.cur, self.rlx, self.nr, self.own, self.oc, self.wmb, self.ul, self.ulo)
        lk = None if self.lk is None else view_key(self.lk)
        su = None if self.su is None else view_key(self.su)
        return (*(view_key(v) for v in views), lk, su)


class WEAK(MemoryModel):
    mode = "WEAK"

    def __init__(self) -> None:
        super().__init__()
        self.co: dict[Loc, list[Msg]] = {}
        self.cpus: dict[int, Cpu] = {}
        self.S: View = {}
        self.gp: View = {}
        self.published: dict[int, View] = {}
        self.srcu_gp: dict[Loc, View] = {}
        self.srcu_published: dict[Loc, dict[int, View]] = {}

    # -- helpers --------------------------------------------------------------------------------
    def _co(self, loc: Loc) -> list[Msg]:
        co = self.co.get(loc)
        if co is None:
            m = Msg(loc, self.init_values.get(loc, 0), -1)
            co = self.co[loc] = [m]
        return co

    def _cpu(self, cpu: int) -> Cpu:
        c = self.cpus.get(cpu)
        if c is None:
            c = self.cpus[cpu] = Cpu()
        return c

    def _insert(self, co: list[Msg], k: int, msg: Msg) -> None:
        co.insert(k, msg)
        for i in range(k, len(co)):
            co[i].idx = i

    def _read(self, c: Cpu, m: Msg, void: bool) -> None:
        cur = c.cur.get(m.loc)
        if cur is None or cur.idx < m.idx:
            c.cur[m.loc] = m
        join_into(c.nr if void else c.rlx, m.view)

    def _wrote(self, c: Cpu, msg: Msg) -> None:
        c.cur[msg.loc] = msg
        c.own[msg.loc] = msg
        join_into(c.oc, msg.view)

    def _strong(self, c: Cpu) -> None:
        join_into(c.cur, c.rlx)
        join_into(c.cur, c.nr)
        join_into(c.cur, c.oc)
        join_into(self.S, c.cur)
        join_into(c.cur, self.S)
        join_into(c.wmb, c.cur)

    def _strong_after(self, c: Cpu, before: View) -> None:
        """A strong fence that orders only the accesses ``before`` says (a fence bound to an
        earlier event, such as smp_mb__after_srcu_read_unlock) before everything after it."""
        join_into(self.S, before)
        join_into(c.cur, self.S)
        join_into(c.wmb, self.S)

    def _release_view(self, c: Cpu) -> View:
        return join(c.cur, c.rlx, c.nr, c.oc)

    def _carried(self, c: Cpu, release: bool) -> View:
        """The view a store of ``c`` carries: ``wmb``, and for a release everything before it."""
        return join(c.wmb, self._release_view(c)) if release else dict(c.wmb)

    def _new(self, cpu: int, loc: Loc, value: Value, carried: View) -> Msg:
        msg = Msg(loc, value, cpu)
        msg.view = dict(carried)
        msg.view[loc] = msg
        return msg

    def _write_after(self, c: Cpu, m: Msg, msg: Msg) -> None:
        """Place the write of an RMW right after the message ``m`` it read: no other store may
        come between them, and no later RMW may read ``m`` again."""
        msg.rmw_of = m
        m.taken = True
        self._insert(self._co(m.loc), m.idx + 1, msg)
        self._wrote(c, msg)

    # -- accesses -------------------------------------------------------------------------------
    def load(
        self, cpu: int, loc: Loc, order: LoadOrder = "once", dep: object = None
    ) -> tuple[Value, object]:
        c = self._cpu(cpu)
        dview = as_view(dep)
        co = self._co(loc)
        lo = max(at(c.cur, loc), at(dview, loc))
        cands = co[lo:]
        m = cands[len(cands) - 1 - self.choose(len(cands), "mm.read")]
        self._read(c, m, False)
        if order == "acquire":
            join_into(c.cur, m.view)
        return m.value, join(dview, m.view, m.dep if m.writer == cpu else None)

    def store(
        self,
        cpu: int,
        loc: Loc,
        value: Value,
        order: StoreOrder = "once",
        dep: object = None,
        ctrl: object = None,
    ) -> None:
        self._store(cpu, loc, value, order == "release", dep, ctrl)

    def _store(
        self, cpu: int, loc: Loc, value: Value, release: bool, dep: object, ctrl: object = None
    ) -> Msg:
        c = self._cpu(cpu)
        dview = as_view(dep)
        carried = self._carried(c, release)
        co = self._co(loc)
        # After what its CPU has seen of ``loc``, and after the messages the loads it depends
        # on (data, address or control) read and what they carried: a store ordered after a
        # load that saw a store S must not be placed before S.
        lo = max(at(c.cur, loc), at(dview, loc), at(as_view(ctrl), loc), at(carried, loc))
        gaps = [k for k in range(len(co), lo, -1) if k == len(co) or co[k].rmw_of is not co[k - 1]]
        k = gaps[self.choose(len(gaps), "mm.place")]
        # What a strong fence made globally visible before the loads this store depends on
        # read their messages, it carries on: LKMM's pb is prop ; strong-fence ; hb*, and a
        # dependency is in hb, so a load hb-after this store must not read older.
        strong = join(_within(dview, self.S), _within(as_view(ctrl), self.S))
        msg = self._new(cpu, loc, value, join(carried, strong) if strong else carried)
        msg.dep = dview
        self._insert(co, k, msg)
        self._wrote(c, msg)
        return msg

    def fence(self, cpu: int, kind: str) -> None:
        c = self._cpu(cpu)
        if kind in STRONG_FENCES:
            self._strong(c)
        elif kind == "rmb":
            join_into(c.cur, c.rlx)
        elif kind == "wmb":
            join_into(c.wmb, c.oc)
        elif kind == "after_unlock_lock":
            # A strong fence from what came before those unlocks to everything after the
            # fence; nothing when no lock of this CPU followed an unlock.
            if c.lk is not None:
                self._strong_after(c, c.lk)
        elif kind == "after_srcu_read_unlock":
            # A strong fence from what came up to the last srcu_read_unlock to everything
            # after the fence; nothing without an srcu_read_unlock before it.
            if c.su is not None:
                self._strong_after(c, c.su)
        elif kind != "barrier":
            raise ValueError(f"unknown fence {kind!r}")

    def rmw(
        self,
        cpu: int,
        loc: Loc,
        update: Update,
        order: RmwOrder = "full",
        void: bool = False,
        dep: object = None,
        ctrl: object = None,
    ) -> tuple[Value, bool, object]:
        c = self._cpu(cpu)
        dview = as_view(dep)
        full = order == "full"
        pre = join(c.cur, c.rlx, c.nr, c.oc, self.S) if full else c.cur
        co = self._co(loc)
        # A control dependency orders the write only: a failing RMW (a plain read) ignores it.
        lo_fail = max(at(c.cur, loc), at(dview, loc))
        lo_ok = max(at(pre, loc), at(dview, loc), at(c.wmb, loc), at(as_view(ctrl), loc))
        if order == "release":
            lo_ok = max(lo_ok, at(self._release_view(c), loc))
        cands: list[tuple[Msg, Value | None]] = []
        for m in reversed(co[lo_fail:]):
            new = update(m.value)
            if new is None:
                cands.append((m, None))
            elif m.idx >= lo_ok and not m.taken:
                cands.append((m, new))
        m, new = cands[self.choose(len(cands), "mm.read")]
        own_dep = m.dep if m.writer == cpu else None
        if new is None:  # a failed cmpxchg / add_unless: a plain read, no barrier
            self._read(c, m, void)
            return m.value, False, join(dview, m.view, own_dep)
        if full:
            self._strong(c)
        self._read(c, m, void)
        if order == "acquire":
            join_into(c.cur, m.view)
        # The write carries what the message it read carried: a release's cumulativity goes on
        # along the RMWs that read from it (LKMM's cumul-fence ends in rmw-sequence).
        msg = self._new(cpu, loc, new, join(self._carried(c, order == "release"), m.view))
        msg.dep = dview
        self._write_after(c, m, msg)
        if full:
            self._strong(c)
        return m.value, True, join(dview, m.view, own_dep)

    def _acquire_lock(self, c: Cpu, cpu: int, loc: Loc, m: Msg) -> None:
        self._read(c, m, False)
        join_into(c.cur, m.view)
        # unlock -> lock in program order, and the unlock this lock read, order every later
        # store of this CPU after the stores that preceded them (po-unlock-lock-po is a
        # cumul-fence, not an A-cumulative one: stores only read before the unlock are not).
        join_into(c.wmb, m.cumul)
        join_into(c.wmb, c.ulo)
        # And every later access after what preceded this CPU's earlier unlock (LKMM has
        # po-unlock-lock-po in ppo): a load after the lock reads no older than the loads before
        # the unlock saw, as after smp_rmb.
        join_into(c.cur, c.ul)
        # m.writer >= 0: m is an unlock's message (not the initial one); its view holds what
        # preceded every unlock coherence-before it (each lock acquired the one before).
        if c.ul or m.writer >= 0:
            c.lk = join(c.lk, c.ul, m.view if m.writer >= 0 else None)
        self._write_after(c, m, self._new(cpu, loc, 1, c.wmb))

    def lock(self, cpu: int, loc: Loc) -> bool:
        c = self._cpu(cpu)
        co = self._co(loc)
        cands = [m for m in reversed(co[at(c.cur, loc) :]) if m.value == 0 and not m.taken]
        if not cands:
            return False
        self._acquire_lock(c, cpu, loc, cands[self.choose(len(cands), "mm.read")])
        return True

    def trylock(self, cpu: int, loc: Loc) -> bool:
        c = self._cpu(cpu)
        co = self._co(loc)
        cands = [m for m in reversed(co[at(c.cur, loc) :]) if m.value != 0 or not m.taken]
        m = cands[self.choose(len(cands), "mm.read")]
        if m.value != 0:
            self._read(c, m, False)
            return False
        self._acquire_lock(c, cpu, loc, m)
        return True

    def unlock(self, cpu: int, loc: Loc) -> None:
        c = self._cpu(cpu)
        before = dict(c.oc)
        msg = self._store(cpu, loc, 0, True, None)
        msg.cumul = before
        c.ul = dict(msg.view)
        c.ulo = before

    def rcu_read_lock(self, cpu: int, domain: Loc | None = None) -> int:
        t = self.tracker(domain)
        if t.enter(cpu):  # a section begins: the outermost rcu_read_lock, any srcu_read_lock
            join_into(self._cpu(cpu).cur, self._gp(domain))
        return t.started

    def rcu_read_unlock(
        self, cpu: int, domain: Loc | None = None, section: int | None = None
    ) -> None:
        e = self.tracker(domain).leave(cpu, section)
        if domain is not None:
            c = self._cpu(cpu)
            c.su = join(c.su, self._release_view(c))
        if e is not None:
            c = self._cpu(cpu)
            pub = self._published(domain).setdefault(e, {})
            join_into(pub, self._release_view(c))

    def gp_start(self, cpu: int, domain: Loc | None = None) -> None:
        c = self._cpu(cpu)
        self._strong(c)
        join_into(self._gp(domain), c.cur)
        self.tracker(domain).start(cpu)

    def gp_end(self, cpu: int, domain: Loc | None = None) -> bool:
        rcu = self.tracker(domain)
        if rcu.blocking(cpu):
            return False
        e = rcu.end(cpu)
        c = self._cpu(cpu)
        published = self._published(domain)
        for ep in sorted(published):
            if ep <= e:
                join_into(c.cur, published[ep])
        self._strong(c)
        return True

    def _gp(self, domain: Loc | None) -> View:
        """The view published at the grace-period starts of RCU (None) or an SRCU domain."""
        if domain is None:
            return self.gp
        return self.srcu_gp.setdefault(domain, {})

    def _published(self, domain: Loc | None) -> dict[int, View]:
        """Per epoch, the views the read-side sections of the domain ended with."""
        if domain is None:
            return self.published
        return self.srcu_published.setdefault(domain, {})

    # -- results --------------------------------------------------------------------------------
    def final(self, loc: Loc) -> Value:
        return self._co(loc)[-1].value

    def locations(self) -> list[Loc]:
        return sorted({*self.co, *self.init_values}, key=loc_key)

    def join(self, a: object, b: object) -> object:
        va = as_view(a)
        vb = as_view(b)
        if not vb:
            return va
        if not va:
            return vb
        return join(va, vb)

    def token_key(self, tok: object) -> Hashable:
        return view_key(as_view(tok))

    def digest(self) -> Hashable:
        locs = sorted(self.co, key=loc_key)
        mem = tuple((loc_key(loc), tuple(_msg_key(m) for m in self.co[loc])) for loc in locs)
        cpus = tuple((i, self.cpus[i].key()) for i in sorted(self.cpus))
        pub = tuple((e, view_key(v)) for e, v in sorted(self.published.items()))
        srcu = tuple(
            (
                loc_key(d),
                view_key(self.srcu_gp.get(d)),
                tuple((e, view_key(v)) for e, v in sorted(self.srcu_published.get(d, {}).items())),
            )
            for d in sorted({*self.srcu_gp, *self.srcu_published}, key=loc_key)
        )
        return (mem, cpus, view_key(self.S), view_key(self.gp), pub, srcu, self.rcu_key())

    def history(self) -> Iterable[tuple[Loc, list[tuple[int, Value]]]]:
        """Each location's coherence order as (writer, value) pairs (writer -1: initial)."""
        for loc in sorted(self.co, key=loc_key):
            yield loc, [(m.writer, m.value) for m in self.co[loc]]


def _msg_key(m: Msg) -> Hashable:
    rmw_of = -1 if m.rmw_of is None else m.rmw_of.idx
    return (m.value, view_key(m.view), view_key(m.dep), view_key(m.cumul), rmw_of, m.taken)
