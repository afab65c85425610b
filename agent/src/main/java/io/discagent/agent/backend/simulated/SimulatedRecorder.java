package io.discagent.agent.backend.simulated;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.api.ClientNames;
import io.discagent.api.MediaInfo;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.VolumeMountedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;

/**
 * One opened simulated recorder: a lock holder by handle, as {@code cdrom.sys} locks by file object. Closing it drops
 * a lock it still holds.
 */
final class SimulatedRecorder implements BackendRecorder {

    private final SimulatedBackend backend;
    private final SimulatedDevice device;
    boolean closed;
    /** The lock was taken from this handle ({@link Simulator#loseLock}): its next release finds nothing to drop. */
    boolean lost;
    /** Opened under {@link Simulator.HandOver#RENAME_IN_PLACE}. */
    private final boolean inPlace;

    SimulatedRecorder(SimulatedBackend backend, SimulatedDevice device) {
        this.backend = backend;
        this.device = device;
        this.inPlace = backend.handOver() == Simulator.HandOver.RENAME_IN_PLACE;
    }

    @Override
    public void acquireExclusiveAccess(boolean force, String clientName) {
        backend.enter(this, device, Simulator.Operation.ACQUIRE, "acquire");
        synchronized (backend.lock) {
            take(force, clientName);
        }
    }

    /**
     * Passes the lock to the agent's next client: with {@link Simulator.HandOver#KEEP_CLAIM} the handle keeps it and
     * only the owner name changes (one call, logged as {@code handOver}, counted as neither an acquire nor a release;
     * faults planned for {@link Simulator.Operation#ACQUIRE} apply to it); with
     * {@link Simulator.HandOver#RELEASE_AND_ACQUIRE} it declines, and the agent releases and acquires, as on IMAPI2.
     */
    @Override
    public boolean handOverExclusiveAccess(String clientName) {
        if (!inPlace && backend.handOver() == Simulator.HandOver.RELEASE_AND_ACQUIRE) {
            return false; // a recorder opened to hand over in place keeps doing so, whatever the mode now
        }
        if (!inPlace) {
            backend.enter(this, device, Simulator.Operation.ACQUIRE, "handOver");
        }
        synchronized (backend.lock) {
            if (device.holder != this) {
                if (inPlace) {
                    return false; // a rename cannot take a lock this handle lost: the agent learns it lost it
                }
                take(false, clientName); // the lock was lost meanwhile: this is a fresh acquire
                return true;
            }
            backend.checkUsable(this, device);
            if (!ClientNames.isValid(clientName)) {
                throw new InvalidClientNameException("invalid client name '" + clientName + "'", device.id);
            }
            device.holderName = clientName;
            device.handOvers++;
            return true;
        }
    }

    /** With {@link Simulator.HandOver#RENAME_IN_PLACE} when this recorder was opened. */
    @Override
    public boolean handsOverInPlace() {
        return inPlace;
    }

    /** The effect of an acquire. Call with the backend's lock held. */
    private void take(boolean force, String clientName) {
        backend.checkUsable(this, device);
        if (!ClientNames.isValid(clientName)) {
            throw new InvalidClientNameException("invalid client name '" + clientName + "'", device.id);
        }
        if (device.holder == this) {
            return;
        }
        String owner = device.holder != null ? device.holderName : device.externalOwner;
        if (owner != null) {
            throw new RecorderLockedException("simulated recorder " + device.id + " is locked", device.id, owner);
        }
        if (device.mountedAt != null) {
            if (!force) {
                throw new VolumeMountedException("a file system is mounted at " + device.mountedAt
                        + "; acquire with force to dismount it", device.id);
            }
            device.mountedAt = null;
        }
        device.holder = this;
        device.holderName = clientName;
        device.locksTaken++;
        lost = false;
    }

    @Override
    public void releaseExclusiveAccess() {
        backend.enter(this, device, Simulator.Operation.RELEASE, "release");
        synchronized (backend.lock) {
            backend.checkUsable(this, device);
            if (device.holder != this && lost) {
                lost = false;
                return; // the lock is gone already: nothing to drop
            }
            if (device.holder != this) {
                // cdrom.sys: ERROR_INVALID_FUNCTION when nobody holds it, ERROR_INVALID_HANDLE when another handle does
                HResult code = device.holder == null ? HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION
                        : HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE;
                throw RecorderExceptions.create(code, "this handle does not hold simulated recorder " + device.id,
                        device.id, device.holderName, null, null);
            }
            dropLock();
        }
    }

    @Override
    public @Nullable String exclusiveAccessOwner() {
        backend.enter(this, device, Simulator.Operation.OWNER, "owner");
        synchronized (backend.lock) {
            backend.checkUsable(this, device);
            return device.holder != null ? device.holderName : device.externalOwner;
        }
    }

    @Override
    public MediaInfo media() {
        backend.enter(this, device, Simulator.Operation.MEDIA, "media");
        synchronized (backend.lock) {
            backend.checkUsable(this, device);
            return SimulatedBackend.mediaOf(device);
        }
    }

    /** Writes the image into the recorder's disc image file, paced on the agent's clock ({@link SimulatedBurn}). */
    @Override
    public void burn(BurnPlan plan, BurnControl control) {
        backend.enter(this, device, Simulator.Operation.ANY, "burn");
        new SimulatedBurn(backend, this, device, plan, control).start();
    }

    /** Reads the disc image file back; what no burn wrote reads as zeros, like a blank area read by the drive. */
    @Override
    public void readBack(long offset, ByteBuffer dst) {
        backend.enter(this, device, Simulator.Operation.READ, "read");
        Path file;
        synchronized (backend.lock) {
            backend.checkUsable(this, device);
            file = backend.discImageFile(device.id);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long at = offset;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, at);
                if (n < 0) {
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0);
                    }
                    break;
                }
                at += n;
            }
        } catch (java.nio.file.NoSuchFileException e) {
            while (dst.hasRemaining()) {
                dst.put((byte) 0);
            }
        } catch (IOException e) {
            throw RecorderExceptions.create(HResult.E_FAIL, "reading the simulated disc " + file + " failed: " + e,
                    device.id, null, null, e);
        }
    }

    /** Whether this handle holds the device's lock. Call with the backend's lock held. */
    boolean holdsLock() {
        return device.holder == this;
    }

    @Override
    public void close() {
        synchronized (backend.lock) {
            backend.log(device.id, "close");
            if (!closed) {
                closed = true;
                if (device.holder == this) {
                    dropLock();
                }
            }
        }
    }

    private void dropLock() {
        device.holder = null;
        device.holderName = null;
        device.locksDropped++;
    }
}
