package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.DiscAgent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backend contract on the fake COM layer: two agents are two processes on one fake machine. */
class FakeWindowsBackendContractTests extends WindowsBackendContract {

    private final List<WindowsTestAgent> started = new ArrayList<>();
    private FakeMachine machine;

    @BeforeEach
    void machine() {
        machine = new FakeMachine();
        machine.addDevice("\\\\?\\scsi#cdrom&ven_hl-dt-st#4&2f1c0a&0&000100#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}");
        machine.addDevice("\\\\?\\usbstor#cdrom&ven_asus#7&1a2b3c&0&000000#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}");
    }

    @Override
    protected DiscAgent startAgent(String process) {
        WindowsTestAgent agent = WindowsTestAgent.start(machine, process, Map.of());
        started.add(agent);
        return agent.agent;
    }

    /**
     * The hand-off between two clients of one agent, as the driver sees it: one release and one acquire naming the
     * new client, back to back on the same apartment thread, with no other COM call of that object between them.
     */
    @Test
    void aHandOffIsOneReleaseAndOneAcquireBackToBackOnTheApartmentThread() {
        aHandOffInsideOneAgentMakesTheNextClientTheOwnerOthersSee();
        List<FakeMachine.Call> lockCalls = machine.calls(c -> c.process().equals("first")
                && (c.call() == Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS || c.call() == Imapi2Call.RELEASE_EXCLUSIVE_ACCESS
                || c.call() == Imapi2Call.EXCLUSIVE_ACCESS_OWNER));
        assertThat(lockCalls).extracting(c -> c.call().name() + " " + c.argument()).containsExactly(
                "ACQUIRE_EXCLUSIVE_ACCESS discagent contract A",
                "RELEASE_EXCLUSIVE_ACCESS ",
                "ACQUIRE_EXCLUSIVE_ACCESS discagent contract A2",
                "RELEASE_EXCLUSIVE_ACCESS ");
        FakeMachine.Call release = lockCalls.get(1);
        FakeMachine.Call acquire = lockCalls.get(2);
        assertThat(acquire.threadId()).isEqualTo(release.threadId());
        List<FakeMachine.Call> all = machine.calls(c -> c.process().equals("first") && c.object() == release.object());
        assertThat(all.indexOf(acquire)).as("nothing between the release and the acquire")
                .isEqualTo(all.indexOf(release) + 1);
    }

    @AfterEach
    void nothingBrokeComsRules() {
        closeAgents();
        started.forEach(t -> t.time.dispose());
        assertThat(machine.violations()).isEmpty();
    }
}
