package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.HotplugListener;
import io.discagent.agent.spi.NativeThreadHooks;
import io.discagent.agent.spi.NativeWorkerKind;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.event.LockTransition;
import io.discagent.api.error.CommandTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/** Which thread runs what: state on the event loop, native calls on native workers, results never on the latter. */
class ThreadingTests {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Records the thread of every backend call and hook; delegates the behaviour to a simulated backend. */
    static final class RecordingBackend implements RecorderBackend {
        final SimulatedBackend sim = new SimulatedBackend(2);
        final List<String> log = new CopyOnWriteArrayList<>();

        private void note(String what) {
            log.add(what + "@" + Thread.currentThread().getName());
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public NativeThreadHooks threadHooks(NativeWorkerKind kind) {
            return new NativeThreadHooks() {
                @Override
                public void onStart() {
                    note("start-" + kind);
                }

                @Override
                public void onIdle() {
                    note("idle-" + kind);
                }

                @Override
                public Duration idleInterval() {
                    return Duration.ofMillis(5);
                }

                @Override
                public void onStop() {
                    note("stop-" + kind);
                }
            };
        }

        @Override
        public List<RecorderDescriptor> enumerate() {
            note("enumerate");
            return sim.enumerate();
        }

        @Override
        public BackendRecorder open(RecorderDescriptor descriptor) {
            note("open");
            BackendRecorder inner = sim.open(descriptor);
            return new BackendRecorder() {
                @Override
                public void acquireExclusiveAccess(boolean force, String clientName) {
                    note("acquire");
                    inner.acquireExclusiveAccess(force, clientName);
                }

                @Override
                public void releaseExclusiveAccess() {
                    note("release");
                    inner.releaseExclusiveAccess();
                }

                @Override
                public String exclusiveAccessOwner() {
                    note("owner");
                    return inner.exclusiveAccessOwner();
                }

                @Override
                public void close() {
                    note("close");
                    inner.close();
                }
            };
        }

        @Override
        public void startHotplug(HotplugListener listener) {
            note("startHotplug");
            sim.startHotplug(listener);
        }

        @Override
        public void close() {
            note("closeBackend");
            sim.close();
        }
    }

    @Test
    void everyBackendCallAndHookRunsOnItsNativeWorker() {
        RecordingBackend backend = new RecordingBackend();
        DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend(backend).build()).block(WAIT);
        ClientSession s = agent.openSession("Threads").block(WAIT);
        s.acquire(SIM0).block(WAIT);
        agent.exclusiveAccessOwner(TestAgent.SIM1).block(WAIT);
        s.release(SIM0).block(WAIT);
        agent.close().block(WAIT);

        assertThat(backend.log).isNotEmpty();
        for (String entry : backend.log) {
            String what = entry.substring(0, entry.indexOf('@'));
            String thread = entry.substring(entry.indexOf('@') + 1);
            if (what.equals("enumerate") || what.equals("startHotplug") || what.equals("closeBackend")
                    || what.endsWith("-CONTROL")) {
                assertThat(thread).as(entry).isEqualTo("discagent-native-control");
            } else {
                assertThat(thread).as(entry).matches("discagent-native-sim-[01]");
            }
        }
        assertThat(backend.log).contains("start-CONTROL@discagent-native-control",
                "stop-CONTROL@discagent-native-control", "start-RECORDER@discagent-native-sim-0",
                "stop-RECORDER@discagent-native-sim-0", "acquire@discagent-native-sim-0",
                "release@discagent-native-sim-0", "owner@discagent-native-sim-1");
        // each worker started and stopped once; the handle was closed before the worker stopped
        assertThat(backend.log.stream().filter(e -> e.startsWith("start-RECORDER@discagent-native-sim-0")))
                .hasSize(1);
        assertThat(backend.log.indexOf("close@discagent-native-sim-0"))
                .isLessThan(backend.log.indexOf("stop-RECORDER@discagent-native-sim-0"));
    }

    @Test
    void resultsErrorsAndEventsAreSignalledOnTheEventLoop() {
        try (TestAgent t = TestAgent.start()) {
            Thread loop = t.agent.eventLoopThread();
            assertThat(loop.getName()).startsWith("vert.x-eventloop-thread-");
            ClientSession a = t.session("A");
            ClientSession b = t.session("B");
            assertThat(a.acquire(SIM0).map(g -> Thread.currentThread()).block(WAIT)).isSameAs(loop);
            assertThat(b.acquire(SIM0).map(g -> Thread.currentThread())
                    .onErrorResume(e -> Mono.fromCallable(Thread::currentThread)).block(WAIT)).isSameAs(loop);
            assertThat(t.agent.exclusiveAccessOwner(SIM0).map(o -> Thread.currentThread()).block(WAIT)).isSameAs(loop);
            assertThat(a.release(SIM0).map(c -> Thread.currentThread()).block(WAIT)).isSameAs(loop);
            List<Thread> eventThreads = new CopyOnWriteArrayList<>();
            t.agent.lockTransitions().subscribe(e -> eventThreads.add(Thread.currentThread()));
            t.settle();
            a.acquire(SIM0).block(WAIT);
            t.settle();
            assertThat(eventThreads).isNotEmpty().allSatisfy(th -> assertThat(th).isSameAs(loop));
        }
    }

    @Test
    void aCommandTimeoutIsSignalledOnTheEventLoopNotOnTheTimerOrNativeThread() {
        try (TestAgent t = TestAgent.start()) {
            t.sim.hangNext(SIM0, io.discagent.agent.backend.simulated.Simulator.Operation.ACQUIRE, 1);
            TestSubscriber<Thread> probe = TestSubscriber.create();
            t.session("A").acquire(SIM0).map(g -> Thread.currentThread())
                    .onErrorResume(CommandTimeoutException.class, e -> Mono.fromCallable(Thread::currentThread))
                    .subscribe(probe);
            t.advance(Duration.ofSeconds(10));
            probe.block(WAIT);
            assertThat(probe.getReceivedOnNext()).containsExactly(t.agent.eventLoopThread());
        }
    }

    @Test
    void callersOnAnyThreadAreServedAndAgentStateIsNeverTouchedOffTheLoop() {
        try (TestAgent t = TestAgent.start()) {
            ClientSession a = t.session("A");
            List<Integer> counts = Mono.zip(
                    a.acquire(SIM0).subscribeOn(Schedulers.boundedElastic()).map(g -> 1),
                    a.acquire(SIM0, AcquireOptions.DEFAULT).subscribeOn(Schedulers.parallel()).map(g -> 1),
                    a.acquire(SIM0).subscribeOn(Schedulers.single()).map(g -> 1))
                    .map(tuple -> List.of(tuple.getT1(), tuple.getT2(), tuple.getT3())).block(WAIT);
            assertThat(counts).containsExactly(1, 1, 1);
            assertThat(a.lockCount(SIM0).block(WAIT)).isEqualTo(3);
            assertThat(t.sim.calls().stream().filter(c -> c.operation().equals("acquire"))).hasSize(1);
        }
    }
}
