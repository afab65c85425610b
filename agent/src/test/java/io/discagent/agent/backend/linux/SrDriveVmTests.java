package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Linux backend against a real kernel's {@code sr} driver: a stock Debian kernel under QEMU (TCG) with a CD drive
 * on virtio-scsi runs {@link SrGuestScenario} from the built classes, with the real burning tools of the host root
 * ({@link ToolMatrix}), while this test plays the user through QMP ({@link DriveActions}): eject, change discs, pull
 * the drive, plug it back. One boot serves every test below (about three and a half minutes); QEMU runs under
 * {@code timeout}.
 *
 * <p>Prerequisites: root, and what {@code agent/src/test/vm/setup.sh} installs and prepares (in
 * {@code $DISCAGENT_VM_DIR}, default {@code /var/cache/discagent-vm}); without them every test is skipped with the
 * reason.
 */
class SrDriveVmTests {

    private static final Duration VM_LIMIT = Duration.ofSeconds(480);

    private static VmRun.Result vm;

    @BeforeAll
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // the VM's own limit is VM_LIMIT
    static void runTheScenarioInAVm() throws IOException {
        vm = VmRun.runOrSkip("sr-drive", VM_LIMIT, "", SrGuestScenario.class, VmRun.GUEST_JOB,
                VmRun.imagesDir().toString());
    }

    @Test
    void theVmRanTheWholeScenario() {
        vm.assertCompleted();
        assertThat(vm.wall()).as("the scenario finished inside the VM's own limit").isLessThan(VM_LIMIT);
    }

    @Test
    void theDriveIsFoundInSysfs() {
        assertGuestChecks("discovery.sr0", "discovery.kernel-media-polling");
    }

    @Test
    void aKernelHolderIsNamedAsTheOwner() {
        assumeTrue(Shell.exists("dmsetup"), "dmsetup is not installed: no device-mapper target to stack on the drive");
        assertGuestChecks("owner.kernel-holder", "owner.kernel-holder-gone");
    }

    @Test
    void theGenericNodeIsHeldWithTheBlockNode() {
        assertGuestChecks("generic.acquire", "generic.open-refused-802", "generic.open-refused-800",
                "generic.open-refused-882", "generic.posix-lock", "generic.release", "generic.free-after-release");
    }

    @Test
    void aToolHoldingEitherNodeIsNamedWithItsPid() {
        assertGuestChecks("holder.xorriso-on-sr", "holder.xorriso-on-sr.gone", "holder.xorriso-on-sg",
                "holder.xorriso-on-sg.nothing-held", "holder.xorriso-on-sg.gone");
    }

    @Test
    void aToolHoldingTheDriveIsItsExternalHolderInTheLockState() {
        assertGuestChecks("holder.xorriso-on-sr.external", "holder.xorriso-on-sg.external", "outside.appeared",
                "outside.listed", "outside.went");
    }

    @Test
    void everyExclusiveToolIsRefusedOnBothNodesWithoutReachingTheDrive() {
        for (ToolMatrix.Invocation invocation : ToolMatrix.EXCLUSIVE) {
            assertGuestChecks("tool." + invocation.label() + ".works-when-free",
                    "tool." + invocation.label() + ".refused-while-held");
        }
        assertGuestChecks("tools.acquire", "tools.tray-never-unlocked-while-refusing", "tools.qmp-locked-while-held");
        assertThat(vm.host("query.tools-held")).contains("locked=true").contains("tray_open=false");
    }

    @Test
    void nonExclusiveToolsGetThroughAndTheTrayIsLockedAgainAfterThem() {
        for (ToolMatrix.Invocation invocation : ToolMatrix.nonExclusive(Path.of("disc"))) {
            assertGuestChecks("tool." + invocation.label() + ".gets-through-while-held");
        }
        assertGuestChecks("tools.qmp-locked-after-non-exclusive-tools", "tools.release");
        assertThat(vm.host("query.after-non-exclusive-tools")).contains("locked=true");
    }

    @Test
    void aTrayUnlockedOrOpenedByAnotherProcessIsLockedAgainWithAnEvent() {
        assertGuestChecks("watch.acquire", "watch.sg_prevent-allow", "watch.locked-again-after-allow",
                "watch.culprit-named", "watch.eject-i-off", "watch.eject-F", "watch.locked-again-after-eject-F",
                "watch.tray-closed", "watch.eject-F-as-cdrom-user", "watch.tray-closed-again", "watch.release");
        assertThat(vm.host("query.after-allow")).contains("locked=true").contains("tray_open=false");
        assertThat(vm.host("query.after-eject-F")).contains("locked=true").contains("tray_open=true");
    }

    @Test
    void theTrayCannotBeEjectedWhileHeldAndCanAfterRelease() {
        assertGuestChecks("tray.acquire", "tray.second-claim-refused", "tray.owner", "tray.software-eject-refused",
                "tray.eject-request-published", "tray.release");
        assertThat(vm.host("eject.while-held")).startsWith("error:").contains("is locked")
                .contains("locked=true").contains("tray_open=false");
        assertThat(vm.host("eject.after-release")).startsWith("ok").contains("locked=false")
                .contains("tray_open=true");
    }

    @Test
    void mediaChangesAreSeenWhileHeld() {
        assertGuestChecks("media.acquire", "media.inserted-seen", "media.forced-eject-seen", "media.reinserted-seen",
                "media.release");
        assertThat(vm.host("change-medium.disc2")).startsWith("ok").contains("medium=disc2.iso");
        assertThat(vm.host("force-eject.while-held")).startsWith("ok").contains("tray_open=true");
    }

    @Test
    void unpluggingAHeldDriveFailsTheHolderAndTheWaitersAndLeaksNothing() {
        assertGuestChecks("unplug.setup", "unplug.removed-event", "unplug.holder-failed", "unplug.waiter-failed",
                "unplug.nothing-held", "unplug.no-descriptor-left", "unplug.count-zero");
        assertThat(vm.host("unplug.while-held")).startsWith("ok").endsWith("absent");
    }

    @Test
    void aReplugArrivesAndAcquiresCleanly() {
        assertGuestChecks("replug.arrived", "replug.clean-acquire", "replug.release");
        assertThat(vm.host("plug.disc1")).startsWith("ok, ok").contains("medium=disc1.iso");
        assertThat(vm.host("eject.after-replug-held")).startsWith("error:").contains("locked=true");
    }

    @Test
    void aKilledHolderLeavesTheTrayUnlocked() {
        assertGuestChecks("crash.locked-by-child", "crash.acquire-after-kill");
        assertThat(vm.host("query.crash-holder-alive")).contains("locked=true");
        assertThat(vm.host("query.after-kill")).contains("locked=false");
        assertThat(vm.host("eject.after-kill")).startsWith("ok").contains("tray_open=true");
    }

    private static void assertGuestChecks(String... names) {
        vm.assertChecks(names);
    }
}
