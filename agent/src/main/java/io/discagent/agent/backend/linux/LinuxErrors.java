package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.jspecify.annotations.Nullable;

/**
 * Turns errno values and SCSI outcomes of one device into the error model's typed exceptions, keeping the errno and
 * sense data as {@link io.discagent.api.error.NativeDetail}:
 * <ul>
 * <li>{@code EBUSY}/{@code EAGAIN} &rarr; {@code E_IMAPI_RECORDER_LOCKED}, naming the holder when it can be found;</li>
 * <li>{@code ENODEV}/{@code ENXIO}/{@code ENOENT} &rarr; {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)};</li>
 * <li>{@code EBADF} &rarr; {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)};</li>
 * <li>{@code EACCES}/{@code EPERM} &rarr; {@code E_ACCESSDENIED} with how to grant access;</li>
 * <li>{@code ETIMEDOUT}, or an SG_IO command the kernel timed out &rarr; {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT};</li>
 * <li>anything else &rarr; {@code E_FAIL}.</li>
 * </ul>
 */
final class LinuxErrors {

    private final LinuxDevice device;
    private final RecorderId id;
    private final OwnerDiscovery owners;

    LinuxErrors(LinuxDevice device, OwnerDiscovery owners) {
        this.device = device;
        this.id = RecorderId.of(device.name());
        this.owners = owners;
    }

    /** The exception for a failed call; {@code conflict} says whom to look for on {@code EBUSY}/{@code EAGAIN}. */
    RecorderException of(NativeCallException e, OwnerDiscovery.Conflict conflict) {
        String node = device.node().toString();
        switch (e.errno()) {
            case Linux.EBUSY, Linux.EAGAIN -> {
                return locked(e, conflict);
            }
            case Linux.ENODEV, Linux.ENXIO, Linux.ENOENT -> {
                return create(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, node + " is gone", null, e);
            }
            case Linux.EBADF -> {
                return create(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, "the descriptor of " + node
                        + " is not valid", null, e);
            }
            case Linux.EACCES, Linux.EPERM -> {
                return create(HResult.E_ACCESSDENIED, accessHint(), null, e);
            }
            case Linux.ETIMEDOUT -> {
                return create(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT, e.call() + " timed out", null, e);
            }
            default -> {
                return create(HResult.E_FAIL, e.call() + " failed", null, e);
            }
        }
    }

    /** {@code E_IMAPI_RECORDER_LOCKED} for a call that met another holder, naming it when it can be found. */
    RecorderException locked(NativeCallException e, OwnerDiscovery.Conflict conflict) {
        String owner = owners.explain(device, conflict);
        return create(HResult.E_IMAPI_RECORDER_LOCKED, device.node() + " is busy: "
                + (owner == null ? "held by a process this agent cannot see" : owner), owner, e);
    }

    /** The exception for a SCSI command the device did not complete. */
    RecorderException of(SgIoResult result) {
        HResult hresult;
        if (result.timedOut()) {
            hresult = HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT;
        } else if (result.senseKey() == 2 && result.asc() == 0x04) {
            hresult = HResult.E_IMAPI_RECORDER_MEDIA_BECOMING_READY;
        } else if (result.senseKey() == 2 && result.asc() == 0x3a) {
            hresult = HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA;
        } else if (result.senseKey() == 3 || result.senseKey() == 4) {
            hresult = HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE; // MEDIUM or HARDWARE ERROR: the sense says
        } else {
            hresult = HResult.E_FAIL;
        }
        return RecorderExceptions.create(hresult, result.command() + " on " + device.node() + " failed", id, null,
                result.detail(), null);
    }

    /** {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)} without a native call behind it. */
    RecorderException removed(String why) {
        return RecorderExceptions.create(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, why, id, null, null, null);
    }

    private RecorderException create(HResult hresult, String message, @Nullable String owner,
            NativeCallException e) {
        return RecorderExceptions.create(hresult, message, id, owner, e.detail(), e);
    }

    /** Why access was refused and how to grant it. */
    String accessHint() {
        String node = device.node().toString();
        String who = "";
        try {
            PosixFileAttributes a = Files.readAttributes(device.node(), PosixFileAttributes.class);
            who = " (" + a.owner().getName() + ":" + a.group().getName() + " "
                    + PosixFilePermissions.toString(a.permissions()) + ")";
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // no details
        }
        return "permission denied on " + node + who + ": the agent needs read and write access to the node. Add its "
                + "user to the group that owns the node (usually 'cdrom': usermod -aG cdrom USER, then log in again), "
                + "or grant it with a udev rule such as SUBSYSTEM==\"block\", KERNEL==\"sr[0-9]*\", GROUP=\"cdrom\", "
                + "MODE=\"0660\" (see docs/linux.md)";
    }
}
