package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class SmokeTests {

    @Test
    void acquireHandOffRelease() {
        try (TestAgent t = TestAgent.start()) {
            ClientSession a = t.session("Kiosk A");
            ClientSession b = t.session("Kiosk B");
            assertThat(a.acquire(SIM0).block().lockCount()).isEqualTo(1);
            Mono<LockGrant> waiting = b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(5))).cache();
            waiting.subscribe();
            t.settle();
            assertThat(t.agent.exclusiveAccessOwner(SIM0).block()).isEqualTo("Kiosk A");
            assertThat(a.release(SIM0).block()).isZero();
            assertThat(waiting.block(Duration.ofSeconds(5)).lockCount()).isEqualTo(1);
            assertThat(t.agent.exclusiveAccessOwner(SIM0).block()).isEqualTo("Kiosk B");
            assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Kiosk B");
        }
    }
}
