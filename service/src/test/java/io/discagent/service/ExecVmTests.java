package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.linux.VmRun;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code discagent exec} on the real {@code sr} driver with the real burning tools: one boot of the project's VM
 * ({@link VmRun}) runs {@link ExecGuestScenario}. Prerequisites as for the agent's VM tests (root, and what
 * {@code agent/src/test/vm/setup.sh} prepares); skipped with the reason otherwise.
 */
class ExecVmTests {

    private static final Duration VM_LIMIT = Duration.ofSeconds(480);

    private static VmRun.Result vm;

    @BeforeAll
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // the VM's own limit is VM_LIMIT
    static void runTheScenarioInAVm() throws IOException {
        // the service in the guest listens on the loopback interface, which nothing else brings up there
        vm = VmRun.runOrSkip("exec", VM_LIMIT, "ip link set lo up 2>/dev/null || busybox ip link set lo up\n",
                ExecGuestScenario.class, VmRun.GUEST_JOB);
    }

    @Test
    void theVmRanTheWholeScenario() {
        vm.assertCompleted();
        assertThat(vm.wall()).as("the scenario finished inside the VM's own limit").isLessThan(VM_LIMIT);
    }

    @Test
    void underExecTheCooperatingToolsReadTheDiscAndEveryOtherToolIsRefused() {
        vm.assertChecks("exec.status", "exec.env", "exec.qmp-locked-under-exec");
        for (String label : ExecGuestScenario.COOPERATING.keySet()) {
            vm.assertChecks("exec.cooperating." + label);
        }
        for (String label : ExecGuestScenario.REFUSED.keySet()) {
            vm.assertChecks("exec.refused." + label);
        }
        assertThat(vm.host("query.under-exec")).contains("locked=true").contains("tray_open=false");
    }

    @Test
    void aToolThatFindsTheDriveBusyGetsTheHint() {
        vm.assertChecks("exec.hint");
    }

    @Test
    void aKilledStandaloneExecTakesItsCommandAndFreesTheDrive() {
        vm.assertChecks("exec.killed.command-gone", "exec.killed.drive-free", "exec.killed.tray-unlocked");
        assertThat(vm.host("query.exec-holding")).contains("locked=true");
        assertThat(vm.host("query.after-exec-killed")).contains("locked=false");
    }

    @Test
    void throughTheServiceHeartbeatsKeepTheLeaseWhileTheCommandRuns() {
        vm.assertChecks("service.started", "service.held-by-exec", "service.status",
                "service.cooperating.xorriso.shared", "service.lease-kept", "service.free-after");
    }

    @Test
    void aKilledExecThroughTheServiceTakesItsCommandAndTheLeaseFreesTheDrive() {
        vm.assertChecks("service.killed.command-gone", "service.killed.lease-frees");
    }
}
