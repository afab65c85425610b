package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.SessionClosedException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A session closed by one thread while others acquire and run withLock on it: once close() has completed, no grant
 * reaches the session and no body of it starts; every caller is answered (a grant, or SessionClosedException); the
 * session ends up holding nothing and every native lock is dropped.
 */
class SessionCloseRaceAdversaryTests {

    @Test
    void nothingIsGrantedAfterTheCloseCompleted() throws Exception {
        try (Harness h = Harness.virtualTime()) {
            ClientSession other = h.session("Other");
            for (int round = 0; round < 150; round++) {
                ClientSession s = h.agent.openSession("Victim " + round).block(BLOCK);
                AtomicBoolean closed = new AtomicBoolean();
                List<Probe<?>> callers = new ArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    int kind = i;
                    Probe<Object> p = Probe.unbounded();
                    callers.add(p);
                    threads.add(new Thread(() -> {
                        @SuppressWarnings({"unchecked", "rawtypes"})
                        Flux<Object> call = switch (kind % 3) {
                            case 0 -> (Flux) s.acquire(kind < 3 ? SIM0 : SIM1, AcquireOptions.waitIndefinitely())
                                    .doOnNext(g -> {
                                        if (closed.get()) {
                                            h.violation("a grant reached a session whose close had completed");
                                        }
                                    }).flux();
                            case 1 -> s.withLock(SIM0, AcquireOptions.waitIndefinitely(), g -> {
                                if (closed.get()) {
                                    h.violation("a body of a session whose close had completed started");
                                }
                                return Mono.just((Object) 1);
                            });
                            default -> (Flux) s.acquireEach(Flux.just(
                                    io.discagent.api.AcquireRequest.of(SIM1))).doOnNext(g -> {
                                        if (closed.get()) {
                                            h.violation("acquireEach emitted after the close had completed");
                                        }
                                    });
                        };
                        call.subscribe(p);
                    }));
                }
                Thread closer = new Thread(() -> s.close().doOnSuccess(v -> closed.set(true)).block(BLOCK));
                threads.forEach(Thread::start);
                closer.start();
                for (Thread t : threads) {
                    t.join();
                }
                closer.join();
                for (Probe<?> p : callers) {
                    assertThat(p.awaitTerminal(BLOCK)).as("round %d: every caller answered", round).isTrue();
                    Throwable e = p.error.get();
                    if (e != null) {
                        assertThat(e).as("round %d", round).isInstanceOf(SessionClosedException.class);
                        assertThat(((RecorderException) e).hresult().code()).isEqualTo(0x80010108);
                    }
                }
                h.settle();
                assertThat(other.acquire(SIM0).block(BLOCK)).isInstanceOf(LockGrant.class);
                other.release(SIM0).block(BLOCK);
                h.assertQuiescentAndBalanced();
                h.assertNoViolations();
            }
        }
    }
}
