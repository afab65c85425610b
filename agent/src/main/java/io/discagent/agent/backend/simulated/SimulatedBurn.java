package io.discagent.agent.backend.simulated;

import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.api.DiscState;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.MediaTooSmallException;
import io.discagent.api.error.MediumErrorException;
import io.discagent.api.error.NativeDetail;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One burn of a simulated recorder: the image is written into the recorder's disc image file a tick at a time, each
 * tick a native write on the recorder's worker, paced on the agent's clock ({@link BurnControl#onWorkerAfter}: virtual
 * time in tests) at the device's burn speed. It goes through the phases of a real burn (formatting a blank DVD+RW or
 * BD-RE first, closing at the end) and changes the disc as a real burn would: a write-once disc is closed, or left
 * appendable; a rewritable one stays overwritable.
 *
 * <p>Faults: the injected ones of every native call ({@link Simulator#failNext}, {@link Simulator#hangNext} with
 * {@code WRITE} or {@code ANY}, latency), and the burn faults of {@link Simulator#failBurnAt}: a MEDIUM ERROR
 * (sense 3/0C/00), a write that hangs, the recorder removed, once the given share of the image is written.
 */
final class SimulatedBurn {

    /** How often the burn writes. */
    static final Duration TICK = Duration.ofMillis(250);
    /** How long formatting a blank DVD+RW or BD-RE takes. */
    static final Duration FORMAT_TIME = Duration.ofSeconds(2);
    /** How long closing takes. */
    static final Duration CLOSE_TIME = Duration.ofSeconds(1);

    private final SimulatedBackend backend;
    private final SimulatedRecorder recorder;
    private final SimulatedDevice device;
    private final BurnPlan plan;
    private final BurnControl control;
    private final RecorderId id;
    private final long size;
    private long written;
    private long speed;
    private SimulatedDevice.@Nullable PlannedBurnFault fault;
    private @Nullable FileChannel disc;
    private @Nullable SimulatedDisc target;
    private boolean ended;
    /** Whether a write is under way (on the worker). */
    private volatile boolean inWrite;
    /** Whether the next write flips a byte (an unreported bad write). */
    private boolean corrupt;

    SimulatedBurn(SimulatedBackend backend, SimulatedRecorder recorder, SimulatedDevice device, BurnPlan plan,
            BurnControl control) {
        this.backend = backend;
        this.recorder = recorder;
        this.device = device;
        this.plan = plan;
        this.control = control;
        this.id = device.id;
        this.size = plan.source().size();
    }

    /** On the worker: checks the disc as the drive would, then formats or starts writing. */
    void start() {
        Path file;
        synchronized (backend.lock) {
            backend.checkUsable(recorder, device);
            SimulatedDisc in = device.disc;
            MediaInfo media = SimulatedBackend.mediaOf(device);
            if (!media.hasMedium()) {
                throw new MediaNotWritableException(HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA, "no disc in simulated "
                        + "recorder " + id, id, null, null, null);
            }
            if (!media.writable()) {
                throw new MediaNotWritableException(HResult.E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED, "the "
                        + in.profile() + " in simulated recorder " + id + " cannot be written (" + in.state() + ")",
                        id, null, null, null);
            }
            if (size > media.freeBytes()) {
                throw new MediaTooSmallException(HResult.E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA, size
                        + " bytes do not fit the " + media.freeBytes() + " free on simulated recorder " + id, id, null,
                        null, null);
            }
            if (plan.simulate() && !in.supportsSimulation()) {
                throw new BurnNotSupportedException(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, "the simulated "
                        + "drive cannot simulate a write on " + in.profile() + " (only CD-R/RW and DVD-R/RW have a "
                        + "test write)", id, null, null, null);
            }
            target = in;
            speed = device.burnSpeed;
            fault = device.burnFault;
            device.burnFault = null;
            device.burning = true;
            file = backend.discImageFile(id);
        }
        if (!plan.simulate()) {
            try {
                disc = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            } catch (IOException e) {
                end(RecorderExceptions.create(HResult.E_FAIL, "the simulated disc " + file + " cannot be written: "
                        + e, id, null, null, e));
                return;
            }
        }
        // a stop between two writes ends the burn at once, not at the next tick; one in a write (a hung drive) ends it
        // when that write returns
        control.onCancel(() -> {
            if (!inWrite) {
                control.onWorkerAfter(Duration.ZERO, () -> {
                    if (!ended) {
                        stopIfAsked();
                    }
                });
            }
        });
        control.progress(BurnPhase.PREPARING, 0, 0, -1, null);
        if (target.needsFormatting() && !plan.simulate()) {
            control.progress(BurnPhase.FORMATTING, 0, 0, -1, FORMAT_TIME);
            control.onWorkerAfter(FORMAT_TIME, this::formatted);
        } else {
            control.onWorkerAfter(TICK, this::tick);
        }
    }

    private void formatted() {
        if (ended || stopIfAsked()) {
            return;
        }
        synchronized (backend.lock) {
            if (device.disc == target) {
                device.disc = target.with(DiscState.OVERWRITABLE);
                target = device.disc;
            }
        }
        control.onWorkerAfter(TICK, this::tick);
    }

    /** One write: the bytes of one tick at the device's speed. */
    private void tick() {
        if (ended || stopIfAsked()) {
            return;
        }
        long chunk = Math.min(size - written, Math.max(2048, speed * TICK.toMillis() / 1000 / 2048 * 2048));
        inWrite = true;
        try {
            backend.enter(recorder, device, Simulator.Operation.WRITE, "write");
            SimulatedDevice.PlannedBurnFault planned = fault;
            if (planned != null && (written + chunk) * 100 >= (long) planned.percent() * size) {
                fault = null;
                if (meet(planned.fault())) {
                    return;
                }
            }
            if (stopIfAsked()) {
                return; // asked while the write hung
            }
            synchronized (backend.lock) {
                backend.checkUsable(recorder, device);
            }
            copy(chunk);
        } catch (RecorderException e) {
            end(e);
            return;
        } catch (IOException e) {
            end(RecorderExceptions.create(HResult.E_FAIL, "the simulated write failed: " + e, id, null, null, e));
            return;
        } finally {
            inWrite = false;
        }
        written += chunk;
        Duration left = Duration.ofMillis((size - written) * 1000 / speed);
        control.progress(BurnPhase.WRITING, written, speed, written < size ? 100 : 0, left);
        if (written < size) {
            control.onWorkerAfter(TICK, this::tick);
        } else {
            control.progress(BurnPhase.CLOSING, size, 0, 0, CLOSE_TIME);
            control.onWorkerAfter(CLOSE_TIME, this::closed);
        }
    }

    /** Meets a planned burn fault; true when the burn ended on it. */
    private boolean meet(BurnFault planned) {
        switch (planned) {
            case MEDIUM_ERROR -> {
                long lba = written / 2048;
                end(new MediumErrorException(HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE, "WRITE(10) at LBA " + lba
                        + " on simulated recorder " + id + " failed: medium error", id, null,
                        new NativeDetail("simulated WRITE(10) at LBA " + lba, 2, "CHECK CONDITION",
                                "sense key 3 (MEDIUM ERROR), ASC 0C ASCQ 00: write error",
                                "70 00 03 00 00 00 00 0a 00 00 00 00 0c 00 00 00 00 00"), null));
                return true;
            }
            case HANG -> {
                backend.block(recorder, device); // like a drive that does not answer the WRITE
                return false;
            }
            case CORRUPTION -> {
                corrupt = true;
                return false;
            }
            case REMOVAL -> {
                backend.removeRecorder(id);
                end(new io.discagent.api.error.RecorderRemovedException("simulated recorder " + id
                        + " was removed while it burned", id));
                return true;
            }
            default -> throw new IllegalStateException(planned.toString());
        }
    }

    private void copy(long chunk) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) chunk);
        while (buffer.hasRemaining()) {
            int n = plan.source().read(buffer);
            if (n < 0) {
                throw new IOException("the image ended at " + (written + buffer.position()) + " of " + size
                        + " bytes");
            }
        }
        buffer.flip();
        if (corrupt && buffer.hasRemaining()) {
            corrupt = false;
            buffer.put(0, (byte) ~buffer.get(0));
        }
        FileChannel out = disc;
        if (out != null) {
            long at = written;
            while (buffer.hasRemaining()) {
                at += out.write(buffer, at);
            }
        }
    }

    private void closed() {
        if (ended || stopIfAsked()) {
            return;
        }
        synchronized (backend.lock) {
            if (!plan.simulate() && device.disc == target && device.present) {
                DiscState after = target.profile().rewritable() ? DiscState.OVERWRITABLE
                        : plan.closeDisc() ? DiscState.CLOSED : DiscState.APPENDABLE;
                device.disc = target.with(after);
                device.discWritten = size;
            }
        }
        end(null);
    }

    /** Ends the burn when the agent asked it to stop; true when it did. */
    private boolean stopIfAsked() {
        if (control.cancelRequested()) {
            end(null);
            return true;
        }
        return false;
    }

    private void end(@Nullable RecorderException failure) {
        if (ended) {
            return;
        }
        ended = true;
        FileChannel out = disc;
        disc = null;
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // the write went through the channel already
            }
        }
        synchronized (backend.lock) {
            device.burning = false;
        }
        control.finished(failure);
    }
}
