package io.discagent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.HResult;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import reactor.test.subscriber.TestSubscriber;

/**
 * Random sequences of acquire, pool acquire ({@code acquireAny}), release, cancel, time, session close, external
 * lock, injected failure, removal, {@code withLock} bodies, devices that flap and handles that die, against one
 * simulated agent. After every step
 * (once the agent has settled) the invariants hold: never two holders, the agent agrees with the device about who
 * holds it, lock counts match the sequence, a {@code withLock} whose hold ended under it has its body cancelled and
 * has failed; at quiescence every native acquire has its native release and no waiter is stuck.
 */
class AgentInvariantProperties {

    private static final int SESSIONS = 3;
    private static final List<RecorderId> RECORDERS = List.of(TestAgent.SIM0, TestAgent.SIM1);
    private static TestAgent t;

    @BeforeContainer
    static void start() {
        t = TestAgent.start(2, b -> b.pendingAcquireMaxCount(4).commandTimeout(Duration.ofSeconds(10)));
    }

    @AfterContainer
    static void stop() {
        t.close();
    }

    sealed interface Action permits Acquire, AcquireAny, Release, Cancel, Advance, CloseSession, LockExternally,
            UnlockExternally, FailNext, Remove, Readd, WithLock, Flap, DeadHandle, SwitchHandOver, Eject,
            InsertBlank {
    }

    /** From now on the simulator hands the lock over keeping its claim, or by a release and an acquire. */
    /** The hand-over mode from now on ({@code RENAME_IN_PLACE} reaches recorders that arrive afterwards). */
    record SwitchHandOver(Simulator.HandOver mode) implements Action {
    }

    /** A pool request: by ids (both recorders) or by a predicate (every recorder). */
    record AcquireAny(int session, int waitMillis, boolean byIds, boolean writableMedium) implements Action {
    }

    /** The medium leaves the drive (a media change the agent sees). */
    record Eject(int recorder) implements Action {
    }

    /** A blank DVD+R goes into an empty drive. */
    record InsertBlank(int recorder) implements Action {
    }

    record WithLock(int session, int recorder, int waitMillis) implements Action {
    }

    record Flap(int recorder) implements Action {
    }

    record DeadHandle(int recorder) implements Action {
    }

    record Acquire(int session, int recorder, int waitMillis, boolean retry) implements Action {
    }

    record Release(int session, int recorder) implements Action {
    }

    record Cancel(int pick) implements Action {
    }

    record Advance(int millis) implements Action {
    }

    record CloseSession(int session) implements Action {
    }

    record LockExternally(int recorder) implements Action {
    }

    record UnlockExternally(int recorder) implements Action {
    }

    record FailNext(int recorder) implements Action {
    }

    record Remove(int recorder) implements Action {
    }

    record Readd(int recorder) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> sequences() {
        Arbitrary<Integer> session = Arbitraries.integers().between(0, SESSIONS - 1);
        Arbitrary<Integer> recorder = Arbitraries.integers().between(0, RECORDERS.size() - 1);
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Combinators.combine(session, recorder,
                        Arbitraries.of(0, 0, 500, 3000, Integer.MAX_VALUE), Arbitraries.of(true, false))
                        .as(Acquire::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(session,
                        Arbitraries.of(0, 500, 3000, Integer.MAX_VALUE), Arbitraries.of(true, false),
                        Arbitraries.of(false, false, true)).as(AcquireAny::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(Eject::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(InsertBlank::new)),
                net.jqwik.api.Tuple.of(6, Combinators.combine(session, recorder).as(Release::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 20).map(Cancel::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.of(100, 600, 1500, 4000).map(Advance::new)),
                net.jqwik.api.Tuple.of(1, session.map(CloseSession::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(LockExternally::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(UnlockExternally::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(FailNext::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(Remove::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(Readd::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(session, recorder, Arbitraries.of(0, 500, 3000))
                        .as(WithLock::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(Flap::new)),
                net.jqwik.api.Tuple.of(1, recorder.map(DeadHandle::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(Simulator.HandOver.class).map(SwitchHandOver::new)));
        return action.list().ofMinSize(1).ofMaxSize(30);
    }

    /** One request the test made, and what its model says (a pool request's recorder: the one it was granted). */
    private static final class Request {
        final int session;
        RecorderId recorder;
        final TestSubscriber<LockGrant> probe;
        boolean counted;

        Request(int session, RecorderId recorder, TestSubscriber<LockGrant> probe) {
            this.session = session;
            this.recorder = recorder;
            this.probe = probe;
        }
    }

    /** One {@code withLock} the test started: its body emits its grant's count, then runs until cancelled. */
    private static final class Scope {
        final int session;
        final RecorderId recorder;
        final TestSubscriber<Integer> probe = TestSubscriber.create();
        final java.util.concurrent.atomic.AtomicBoolean bodyCancelled = new java.util.concurrent.atomic.AtomicBoolean();
        boolean counted;
        boolean uncounted;

        Scope(int session, RecorderId recorder) {
            this.session = session;
            this.recorder = recorder;
        }

        boolean granted() {
            return !probe.getReceivedOnNext().isEmpty();
        }
    }

    private final List<Scope> scopes = new ArrayList<>();
    /** Grants of a writable-medium pool request made on a drive without a medium (must stay empty). */
    private final List<String> wrongMedium = new CopyOnWriteArrayList<>();

    @Property(tries = 1000, shrinking = net.jqwik.api.ShrinkingMode.BOUNDED)
    void invariantsHoldAfterEveryStep(@ForAll("sequences") List<Action> actions) {
        ClientSession[] sessions = new ClientSession[SESSIONS];
        for (int i = 0; i < SESSIONS; i++) {
            sessions[i] = t.session("Client " + i);
        }
        Map<String, Integer> counts = new HashMap<>(); // "session/recorder" -> expected lock count
        List<Request> requests = new ArrayList<>();
        scopes.clear();
        wrongMedium.clear();
        try {
            for (Action action : actions) {
                apply(action, sessions, counts, requests);
                t.settle();
                account(requests, counts);
                accountScopes(counts);
                checkInvariants(sessions, counts);
                assertThat(wrongMedium).as("grants of a writable-medium pool on an empty drive").isEmpty();
            }
        } finally {
            for (ClientSession s : sessions) {
                s.close().block(Duration.ofSeconds(5));
            }
            for (RecorderId r : RECORDERS) {
                if (!t.sim.recorders().contains(r)) {
                    t.sim.addRecorder(r.value());
                }
                t.sim.unlockExternally(r);
            }
            AgentActivity quiet = t.settle();
            // at quiescence: no waiter stuck, nothing held, every native acquire released
            assertThat(quiet.waiting()).isZero();
            assertThat(quiet.held()).isZero();
            for (Request request : requests) {
                assertThat(request.probe.isTerminatedOrCancelled()).as("request %s on %s", request.session,
                        request.recorder).isTrue();
            }
            for (Scope scope : scopes) {
                assertThat(scope.probe.isTerminatedOrCancelled()).as("scope %s on %s", scope.session, scope.recorder)
                        .isTrue();
                if (scope.granted()) {
                    assertThat(scope.bodyCancelled).as("body of scope %s on %s", scope.session, scope.recorder)
                            .isTrue();
                }
            }
            for (RecorderId r : RECORDERS) {
                SimulatedDeviceState device = t.sim.state(r);
                assertThat(device.nativeOwner()).isNull();
                assertThat(device.locksTaken()).isEqualTo(device.locksDropped());
            }
        }
    }

    private void apply(Action action, ClientSession[] sessions, Map<String, Integer> counts, List<Request> requests) {
        if (action instanceof Acquire a) {
            RecorderId r = RECORDERS.get(a.recorder());
            AcquireOptions options = a.waitMillis() == Integer.MAX_VALUE ? AcquireOptions.waitIndefinitely()
                    : AcquireOptions.waitUpTo(Duration.ofMillis(a.waitMillis()));
            options = options.withRetry(a.retry() ? RetryPolicy.automatic() : RetryPolicy.none());
            TestSubscriber<LockGrant> probe = TestSubscriber.create();
            sessions[a.session()].acquire(r, options).subscribe(probe);
            requests.add(new Request(a.session(), r, probe));
        } else if (action instanceof AcquireAny a) {
            AcquireOptions options = a.waitMillis() == Integer.MAX_VALUE ? AcquireOptions.waitIndefinitely()
                    : AcquireOptions.waitUpTo(Duration.ofMillis(a.waitMillis()));
            RecorderSelector pool = a.byIds() ? RecorderSelector.anyOf(RECORDERS)
                    : RecorderSelector.matching(info -> true);
            RecorderSelector selector = a.writableMedium() ? pool.withWritableMedium(1) : pool;
            TestSubscriber<LockGrant> probe = TestSubscriber.create();
            sessions[a.session()].acquireAny(selector, options).doOnNext(g -> {
                if (a.writableMedium() && t.sim.state(g.recorder()).media() != MediaState.MEDIA_PRESENT) {
                    wrongMedium.add(g + " granted to a writable-medium pool with " + t.sim.state(g.recorder()).media());
                }
            }).subscribe(probe);
            requests.add(new Request(a.session(), null, probe));
        } else if (action instanceof Eject e) {
            RecorderId r = RECORDERS.get(e.recorder());
            if (t.sim.recorders().contains(r)) {
                t.sim.changeMedia(r, MediaState.NO_MEDIA);
            }
        } else if (action instanceof InsertBlank ib) {
            RecorderId r = RECORDERS.get(ib.recorder());
            if (t.sim.recorders().contains(r) && t.sim.state(r).media() == MediaState.NO_MEDIA) {
                t.sim.insertDisc(r, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
            }
        } else if (action instanceof WithLock w) {
            RecorderId r = RECORDERS.get(w.recorder());
            AcquireOptions options = w.waitMillis() == 0 ? AcquireOptions.DEFAULT
                    : AcquireOptions.waitUpTo(Duration.ofMillis(w.waitMillis()));
            Scope scope = new Scope(w.session(), r);
            sessions[w.session()].withLock(r, options, g -> reactor.core.publisher.Flux.concat(
                    reactor.core.publisher.Mono.just(g.lockCount()), reactor.core.publisher.Flux.<Integer>never())
                    .doOnCancel(() -> scope.bodyCancelled.set(true))).subscribe(scope.probe);
            scopes.add(scope);
        } else if (action instanceof Flap f) {
            RecorderId r = RECORDERS.get(f.recorder());
            if (t.sim.recorders().contains(r)) {
                t.sim.removeRecorder(r);
                t.sim.addRecorder(r.value());
                t.sim.removeRecorder(r);
                t.sim.addRecorder(r.value());
                for (int s = 0; s < SESSIONS; s++) {
                    counts.remove(s + "/" + r);
                }
                endScopes(l -> l.recorder.equals(r));
            }
        } else if (action instanceof DeadHandle d) {
            RecorderId r = RECORDERS.get(d.recorder());
            if (t.sim.recorders().contains(r)) {
                t.sim.failNext(r, Operation.ACQUIRE, HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, 1);
            }
        } else if (action instanceof Release rel) {
            RecorderId r = RECORDERS.get(rel.recorder());
            String key = rel.session() + "/" + r;
            if (scopes.stream().anyMatch(l -> l.session == rel.session() && l.recorder.equals(r) && l.counted
                    && !l.uncounted)) {
                return; // a release beside a running withLock may take the scope's count: not modelled
            }
            int expected = counts.getOrDefault(key, 0);
            Integer result = sessions[rel.session()].release(r).onErrorReturn(-1).block(Duration.ofSeconds(5));
            if (expected == 0) {
                assertThat(result).as("release at zero fails").isEqualTo(-1);
            } else if (result != null && result >= 0) {
                assertThat(result).isEqualTo(expected - 1);
                counts.put(key, expected - 1);
            }
        } else if (action instanceof Cancel c) {
            List<Request> pending = requests.stream().filter(q -> !q.probe.isTerminatedOrCancelled()).toList();
            List<Scope> running = scopes.stream().filter(l -> !l.probe.isTerminatedOrCancelled()).toList();
            if (!running.isEmpty() && (pending.isEmpty() || c.pick() % 2 == 1)) {
                running.get(c.pick() % running.size()).probe.cancel(); // released by the scope: accountScopes
            } else if (!pending.isEmpty()) {
                pending.get(c.pick() % pending.size()).probe.cancel();
            }
        } else if (action instanceof Advance adv) {
            t.advanceInSteps(Duration.ofMillis(adv.millis()), Duration.ofMillis(100));
        } else if (action instanceof CloseSession cs) {
            sessions[cs.session()].close().block(Duration.ofSeconds(5));
            for (RecorderId r : RECORDERS) {
                counts.remove(cs.session() + "/" + r);
            }
            t.settle();
            for (Scope scope : scopes) {
                if (scope.session == cs.session() && scope.granted() && !scope.uncounted) {
                    assertThat(scope.bodyCancelled).as("a closed session's body is cancelled").isTrue();
                    assertThat(scope.probe.expectTerminalError()).isInstanceOf(
                            io.discagent.api.error.SessionClosedException.class);
                }
            }
            endScopes(l -> l.session == cs.session());
            sessions[cs.session()] = t.session("Client " + cs.session());
        } else if (action instanceof SwitchHandOver sw) {
            t.sim.setHandOver(sw.mode());
        } else if (action instanceof LockExternally le) {
            RecorderId r = RECORDERS.get(le.recorder());
            if (t.sim.recorders().contains(r) && t.sim.state(r).nativeOwner() == null) {
                t.sim.lockExternally(r, "other process");
            }
        } else if (action instanceof UnlockExternally ue) {
            RecorderId r = RECORDERS.get(ue.recorder());
            if (t.sim.recorders().contains(r)) {
                t.sim.unlockExternally(r);
            }
        } else if (action instanceof FailNext f) {
            RecorderId r = RECORDERS.get(f.recorder());
            if (t.sim.recorders().contains(r)) {
                t.sim.failNext(r, Operation.ACQUIRE, HResult.E_FAIL, 1);
            }
        } else if (action instanceof Remove rm) {
            RecorderId r = RECORDERS.get(rm.recorder());
            if (t.sim.recorders().contains(r)) {
                t.sim.removeRecorder(r);
                for (int s = 0; s < SESSIONS; s++) {
                    counts.remove(s + "/" + r);
                }
                endScopes(l -> l.recorder.equals(r));
            }
        } else if (action instanceof Readd ra) {
            RecorderId r = RECORDERS.get(ra.recorder());
            if (!t.sim.recorders().contains(r)) {
                t.sim.addRecorder(r.value());
            }
        }
    }

    /** Scopes whose hold the test just ended (close, removal): their counts went with the hold. */
    private void endScopes(java.util.function.Predicate<Scope> which) {
        for (Scope scope : scopes) {
            if (which.test(scope)) {
                scope.uncounted = true;
            }
        }
    }

    /** Scopes that ended (cancelled, failed) with a count take it away again ({@link #account} adds their grants). */
    private void accountScopes(Map<String, Integer> counts) {
        for (Scope scope : scopes) {
            String key = scope.session + "/" + scope.recorder;
            if (scope.counted && !scope.uncounted && scope.probe.isTerminatedOrCancelled()) {
                scope.uncounted = true;
                counts.put(key, counts.getOrDefault(key, 0) - 1);
            }
        }
    }

    /**
     * Counts newly delivered grants into the model. Grants delivered during one step (retries are jittered, so
     * their order need not follow the requests') must carry exactly the next counts of their session's hold.
     */
    private void account(List<Request> requests, Map<String, Integer> counts) {
        Map<String, List<Integer>> granted = new HashMap<>();
        for (Request request : requests) {
            if (!request.counted && !request.probe.getReceivedOnNext().isEmpty()) {
                request.counted = true;
                assertThat(request.probe.getReceivedOnNext()).as("grants of one request").hasSize(1);
                RecorderId granted0 = request.probe.getReceivedOnNext().get(0).recorder();
                if (request.recorder == null) {
                    request.recorder = granted0; // a pool request: counted on the recorder it was granted
                }
                assertThat(granted0).isEqualTo(request.recorder);
                granted.computeIfAbsent(request.session + "/" + request.recorder, k -> new ArrayList<>())
                        .add(request.probe.getReceivedOnNext().get(0).lockCount());
            }
        }
        for (Scope scope : scopes) { // a scope's grant is a count like any other, granted in the same step
            if (!scope.counted && scope.granted()) {
                scope.counted = true;
                if (!scope.uncounted) {
                    granted.computeIfAbsent(scope.session + "/" + scope.recorder, k -> new ArrayList<>())
                            .add(scope.probe.getReceivedOnNext().get(0));
                }
            }
        }
        granted.forEach((key, lockCounts) -> {
            int before = counts.getOrDefault(key, 0);
            List<Integer> expected = new ArrayList<>();
            for (int i = 1; i <= lockCounts.size(); i++) {
                expected.add(before + i);
            }
            assertThat(lockCounts).as("grant counts of %s", key).containsExactlyInAnyOrderElementsOf(expected);
            counts.put(key, before + lockCounts.size());
        });
    }

    private void checkInvariants(ClientSession[] sessions, Map<String, Integer> counts) {
        List<RecorderInfo> infos = t.agent.recorders().block(Duration.ofSeconds(5));
        for (RecorderInfo info : infos) {
            SimulatedDeviceState device = t.sim.state(info.id());
            int holders = 0;
            for (int s = 0; s < SESSIONS; s++) {
                int count = sessions[s].lockCount(info.id()).block(Duration.ofSeconds(5));
                assertThat(count).as("count of %s on %s", s, info.id())
                        .isEqualTo(counts.getOrDefault(s + "/" + info.id(), 0));
                holders += count > 0 ? 1 : 0;
            }
            assertThat(holders).as("holders of %s", info.id()).isLessThanOrEqualTo(1);
            if (info.lockState().isHeld()) {
                assertThat(device.nativeOwner()).as("native claim of held %s", info.id()).isNotNull();
                if (!device.nativeOwner().equals(info.lockState().owner())) {
                    // a hand-over in place tells the recorder its new holder before the agent's next call on it
                    t.agent.media(info.id()).onErrorResume(e -> reactor.core.publisher.Mono.empty())
                            .block(Duration.ofSeconds(5));
                    device = t.sim.state(info.id());
                }
                assertThat(device.nativeOwner()).as("native owner of %s", info.id())
                        .isEqualTo(info.lockState().owner());
                assertThat(device.externalOwner()).isNull();
            } else {
                assertThat(device.nativeOwner()).as("native owner of free %s", info.id()).isNull();
            }
        }
    }
}
