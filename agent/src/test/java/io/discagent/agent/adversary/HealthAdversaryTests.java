package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.AgentHealth;
import io.discagent.agent.AgentHealth.Status;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.CommandTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * DiscAgent.health(): "DOWN once closed; otherwise ... UP, or DEGRADED naming the recorders that do not respond (a
 * native call over the command timeout that has not returned)".
 */
class HealthAdversaryTests extends TwoSessions {

    private AgentHealth health() {
        return h.agent.health().block(BLOCK);
    }

    @Test
    void aFreshAgentIsUp() {
        AgentHealth up = health();
        assertThat(up.status()).isEqualTo(Status.UP);
        assertThat(up.backend()).isEqualTo("simulated");
        assertThat(up.recorders()).isEqualTo(2);
        assertThat(up.unresponsive()).isEmpty();
        assertThat(up.problem()).isNull();
    }

    @Test
    void aHungAcquireDegradesOnlyAfterTheCommandTimeoutAndRecovers() {
        h.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        CompletableFuture<LockGrant> hung = a.acquire(SIM0).toFuture();
        h.settle();
        h.test.advance(Duration.ofSeconds(9));
        assertThat(health().status()).as("not yet over the 10 s command timeout").isEqualTo(Status.UP);
        h.test.advance(Duration.ofSeconds(2));
        assertThat(hung).isCompletedExceptionally();
        AgentHealth degraded = health();
        assertThat(degraded.status()).isEqualTo(Status.DEGRADED);
        assertThat(degraded.unresponsive()).containsExactly(SIM0);
        assertThat(degraded.problem()).contains("sim-0");
        // "requests that do not wait fail fast there with E_IMAPI_RECORDER_COMMAND_TIMEOUT"
        assertThatThrownBy(() -> b.acquire(SIM0).block(BLOCK)).isInstanceOf(CommandTimeoutException.class);
        // a pool request that does not wait still gets the responsive member
        LockGrant other = b.acquireAny(RecorderSelector.any()).block(BLOCK);
        assertThat(other.recorder()).isEqualTo(SIM1);
        b.release(other).block(BLOCK);
        h.sim.releaseHangs(SIM0);
        h.settle();
        assertThat(health().status()).as("the hung call returned").isEqualTo(Status.UP);
        assertThat(h.count(a, SIM0)).as("the late lock is released").isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** "Whatever call hung (an acquire, a release, an owner query)" — a hung owner refresh degrades too. */
    @Test
    void aHungOwnerRefreshDegradesAndRecovers() {
        Disposable watch = h.agent.lockTransitions(SIM0).subscribe();
        h.settle();
        h.sim.hangNext(SIM0, Operation.OWNER, 1);
        h.test.advance(Duration.ofSeconds(2));
        h.test.advance(Duration.ofSeconds(11));
        AgentHealth degraded = health();
        System.out.println("hung owner query: " + degraded);
        assertThat(degraded.status()).isEqualTo(Status.DEGRADED);
        assertThat(degraded.unresponsive()).containsExactly(SIM0);
        assertThatThrownBy(() -> a.acquire(SIM0).block(BLOCK)).isInstanceOf(CommandTimeoutException.class);
        h.sim.releaseHangs(SIM0);
        h.settle();
        assertThat(health().status()).isEqualTo(Status.UP);
        a.acquire(SIM0).block(BLOCK);
        watch.dispose();
        h.closeSessionsAndAssertBalanced();
    }

    /** A waiting request "stays in line until its own deadline and is served when the recorder responds again". */
    @Test
    void aWaitingPoolRequestBehindAHungMemberIsServedWhenItResponds() {
        h.sim.hangNext(SIM0, Operation.RELEASE, 1);
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<Integer> hungRelease = b.release(SIM0).toFuture();
        h.settle();
        CompletableFuture<LockGrant> pool = a.acquireAny(RecorderSelector.anyOf(SIM0),
                AcquireOptions.waitUpTo(Duration.ofMinutes(1))).toFuture();
        // the pool request's native acquire is queued on sim-0's worker behind the hung release, so the agent never
        // "settles" by TestAgent's rule (calls in flight 2, blocked 1): move time without settling
        h.test.time.advanceTimeBy(Duration.ofSeconds(11));
        long until = System.nanoTime() + BLOCK.toNanos();
        while (health().unresponsive().isEmpty() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat(health().unresponsive()).containsExactly(SIM0);
        assertThat(pool).isNotDone();
        h.sim.releaseHangs(SIM0);
        h.settle();
        System.out.println("hung release ended: " + hungRelease + ", pool " + pool);
        assertThat(pool).as("served when sim-0 responds again").isCompleted();
        assertThat(health().status()).isEqualTo(Status.UP);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void healthAfterCloseIsDownAndAnswersAtOnce() {
        h.agent.close().block(BLOCK);
        for (int i = 0; i < 3; i++) {
            AgentHealth down = health();
            assertThat(down.status()).isEqualTo(Status.DOWN);
            assertThat(down.problem()).isNotNull();
        }
    }

    /** Closing with a call still hung: the close finishes (after the command timeout) and health is DOWN. */
    @Test
    void healthIsDownAfterACloseWithAHungCall() {
        h.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        a.acquire(SIM0).subscribe(g -> { }, e -> { });
        h.test.advance(Duration.ofSeconds(11));
        assertThat(health().status()).isEqualTo(Status.DEGRADED);
        h.test.close();
        assertThat(health().status()).isEqualTo(Status.DOWN);
        h.sim.releaseHangs(SIM0);
        assertThat(h.sim.lockCounts().taken()).isEqualTo(h.sim.lockCounts().dropped());
    }

    /** Two recorders hung: both named, in the order the agent lists its recorders. */
    @Test
    void twoHungRecordersAreBothNamedInOrder() {
        h.sim.hangNext(SIM1, Operation.ACQUIRE, 1);
        h.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        b.acquire(SIM1).subscribe(g -> { }, e -> { });
        h.settle();
        a.acquire(SIM0).subscribe(g -> { }, e -> { });
        h.test.advance(Duration.ofSeconds(11));
        assertThat(health().unresponsive()).isEqualTo(List.of(SIM0, SIM1));
        h.sim.releaseHangs(SIM0);
        h.sim.releaseHangs(SIM1);
        h.settle();
        assertThat(health().status()).isEqualTo(Status.UP);
        h.closeSessionsAndAssertBalanced();
    }

    /** commandTimeout 0 means "no limit": a hung call never runs "over the command timeout", so health stays UP. */
    @Test
    void withNoCommandTimeoutAHungCallDoesNotDegrade() {
        h.close();
        h = Harness.virtualTime(2, o -> o.commandTimeout(Duration.ZERO));
        a = h.session("Alpha");
        b = h.session("Beta");
        h.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        a.acquire(SIM0).subscribe(g -> { }, e -> { });
        h.test.advance(Duration.ofHours(1));
        AgentHealth now = health();
        System.out.println("no command timeout, hung for an hour: " + now);
        assertThat(now.status()).isEqualTo(Status.UP);
        h.sim.releaseHangs(SIM0);
        h.settle();
        h.closeSessionsAndAssertBalanced();
    }
}
