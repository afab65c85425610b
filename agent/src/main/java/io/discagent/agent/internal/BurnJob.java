package io.discagent.agent.internal;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.agent.spi.BurnSource;
import io.discagent.api.DiscState;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnImage;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.burn.BurnResult;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.MediaTooSmallException;
import io.discagent.api.error.MediumErrorException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.event.BurnEvent;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.FluxSink;

/**
 * One burn under a hold: {@code ClientSession.burn(grant, request)}. It is a {@link HoldScope} of the hold from its
 * start until its writer has stopped, so the recorder cannot pass to anyone else while anything of the burn still
 * runs, whatever ends the burn (its end, a cancellation, the hold ending, a hung writer). Event loop only, except
 * {@link Control}, which the backend calls from any thread.
 *
 * <ol>
 * <li><b>Preparing</b> (a native call under the command timeout): the image is opened (when given as a path) and
 * measured, the medium read ({@link BackendRecorder#media}); the burn is refused with a typed error when the image is
 * not whole sectors, the medium cannot take it or is too small.</li>
 * <li><b>Writing</b>: the backend's {@link BackendRecorder#burn} runs on the recorder's worker outside
 * {@link NativeCalls} (a write may keep the worker for the whole burn); its progress is sampled onto the event loop.
 * When it makes no progress for the burn stall timeout, the burn fails with {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}
 * and the writer is asked to stop.</li>
 * <li><b>Verifying</b> (when asked, and the backend does not verify itself): the disc is read back in chunks, each a
 * native call under the command timeout, and its SHA-256 compared with the image's.</li>
 * </ol>
 * The subscriber receives progress latest-first (the {@code Flux} is created with {@code OverflowStrategy.LATEST}),
 * then the completed progress with the result, or the failure. A failure or a cancellation reaches the subscriber at
 * once; the hold's scope ends only when the writer has reported that it stopped.
 */
final class BurnJob implements HoldScope {

    private static final System.Logger LOG = System.getLogger(BurnJob.class.getName());
    private static final int SECTOR = MediaInfo.SECTOR;
    /** The bytes read back per native call while verifying. */
    private static final int VERIFY_CHUNK = 1 << 20;

    private enum State { PREPARING, WRITING, VERIFYING, FINISHING, DONE }

    /** What the preparing call found. */
    private record Prepared(BurnImage image, boolean owned, long size, MediaInfo media, boolean verifiesItself) {
    }

    /** One progress report of the backend, as it gave it. */
    private record Report(BurnPhase phase, long bytesDone, long bytesPerSecond, int bufferPercent,
            @Nullable Duration remaining) {
    }

    final String id;
    private final AgentCore core;
    private final RecorderSlot slot;
    private final Hold hold;
    private final SessionImpl session;
    private final BurnRequest request;
    private final FluxSink<BurnProgress> sink;
    private final Control control = new Control();
    private final long startedNanos;
    private final List<Runnable> whenStopped = new ArrayList<>(1);

    private State state = State.PREPARING;
    private BurnPhase phase = BurnPhase.PREPARING;
    private @Nullable BurnImage image;
    private boolean ownsImage;
    private @Nullable BurnSource source;
    private @Nullable MediaInfo media;
    private boolean verifiesItself;
    private long total;
    private long bytesDone;
    private long bytesPerSecond;
    private int bufferPercent = -1;
    private @Nullable Duration remaining;
    private long lastChangeNanos;
    private long lastEventNanos;
    private long speedMarkNanos;
    private long speedMarkBytes;
    private @Nullable Disposable stallTimer;
    /** Whether the subscriber has had its terminal signal or cancelled. */
    private boolean subscriberDone;
    private boolean cancelledBySubscriber;
    /** Whether {@link BackendRecorder#burn} runs (started, and {@code finished} not seen yet). */
    private boolean writerRunning;
    /** Whether a native call of this burn (preparing, a verify chunk, the checksum) is in flight. */
    private boolean callInFlight;
    private boolean stopRequested;
    private @Nullable RecorderException failure;
    private @Nullable MessageDigest readBack;
    /** Tasks of this burn queued on or running on the recorder's worker (counted as native calls in flight). */
    private final java.util.concurrent.atomic.AtomicInteger workerTasks =
            new java.util.concurrent.atomic.AtomicInteger();

    BurnJob(AgentCore core, RecorderSlot slot, Hold hold, SessionImpl session, String id, BurnRequest request,
            FluxSink<BurnProgress> sink) {
        this.core = core;
        this.slot = slot;
        this.hold = hold;
        this.session = session;
        this.id = id;
        this.request = request;
        this.sink = sink;
        this.startedNanos = core.nowNanos();
        this.lastChangeNanos = startedNanos;
    }

    RecorderId recorder() {
        return slot.id;
    }

    String client() {
        return session.clientName();
    }

    String imageName() {
        return request.imageName();
    }

    /** The medium as read when the burn started, once it has been read. */
    @Nullable MediaInfo media() {
        return media;
    }

    // ------------------------------------------------------------------------------------------------ preparing

    /** Starts the burn: its scope is registered already. */
    void start() {
        assert core.loop().assertInLoop();
        slot.burning(true);
        emit();
        publish(BurnEvent.Outcome.RUNNING, null);
        callInFlight = true;
        slot.calls().call("PrepareBurn", this::prepare, new NativeCalls.Outcome<Prepared>() {
            @Override
            public void completed(@Nullable Prepared value, @Nullable RecorderException error, boolean late) {
                callInFlight = false;
                if (late) {
                    if (value != null && value.owned()) {
                        value.image().closeQuietly(); // nobody is left to write it
                    }
                    maybeStopped();
                    return;
                }
                prepared(value, error);
            }

            @Override
            public void timedOut(CommandTimeoutException timeout, boolean started) {
                fail(timeout);
            }

            @Override
            public void crashed(Throwable bug) {
                callInFlight = false;
                fail(NativeCalls.asRecorderException(bug, slot.id, "PrepareBurn"));
                maybeStopped();
            }
        });
    }

    /** On the worker: opens and measures the image, reads the medium. */
    private Prepared prepare(RecorderHandle handle) {
        BurnImage opened = request.image().orElse(null);
        boolean owned = opened == null || opened.handedOver();
        if (opened == null) {
            opened = BurnImage.open(request.path().orElseThrow());
        }
        try {
            long size = opened.size();
            BackendRecorder recorder = handle.get();
            MediaInfo read = handle.call(BackendRecorder::media);
            return new Prepared(opened, owned, size, read, recorder.verifiesWhileBurning());
        } catch (IOException e) {
            if (owned) {
                opened.closeQuietly();
            }
            throw new io.discagent.api.error.InvalidArgumentException("the image " + opened.name()
                    + " cannot be read: " + e, slot.id);
        } catch (RuntimeException e) {
            if (owned) {
                opened.closeQuietly();
            }
            throw e;
        }
    }

    private void prepared(@Nullable Prepared value, @Nullable RecorderException error) {
        if (error != null || value == null) {
            fail(error != null ? error : new RequestCancelledException("preparing the burn gave nothing", slot.id));
            maybeStopped();
            return;
        }
        image = value.image();
        ownsImage = value.owned();
        media = value.media();
        verifiesItself = value.verifiesItself();
        total = value.size();
        if (stopRequested || subscriberDone) {
            maybeStopped();
            return;
        }
        RecorderException refused = refusal(value);
        if (refused != null) {
            fail(refused);
            maybeStopped();
            return;
        }
        startWriting();
    }

    /** Why the medium or the image cannot take this burn, checked before anything is written; null if they can. */
    private @Nullable RecorderException refusal(Prepared p) {
        RecorderId rid = slot.id;
        MediaInfo m = p.media();
        String image = request.imageName();
        if (p.size() <= 0 || p.size() % SECTOR != 0) {
            return new BurnNotSupportedException(HResult.E_IMAPI_DF2DATA_STREAM_NOT_SUPPORTED, "the image " + image
                    + " has " + p.size() + " bytes: an image is a whole number of 2048-byte sectors, at least one",
                    rid, null, null, null);
        }
        if (!m.isKnown()) {
            LOG.log(Level.DEBUG, "burn {0}: the medium of {1} is unknown ({2}); the writer decides", id, rid,
                    m.detail());
            return null;
        }
        if (!m.hasMedium()) {
            return new MediaNotWritableException(HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA, "there is no disc in "
                    + "recorder " + rid + (m.tray() == io.discagent.api.TrayState.OPEN ? " (its tray is open)" : ""),
                    rid, null, null, null);
        }
        if (!m.profile().recordable()) {
            return new MediaNotWritableException(HResult.E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED, "the "
                    + m.profile().displayName() + " in recorder " + rid + " cannot be written", rid, null, null,
                    null);
        }
        if (m.disc() == DiscState.CLOSED || m.disc() == DiscState.APPENDABLE) {
            return new MediaNotWritableException(HResult.E_IMAPI_DF2DATA_MEDIA_NOT_BLANK, "the "
                    + m.profile().displayName() + " in recorder " + rid + " is " + (m.disc() == DiscState.CLOSED
                    ? "closed" : "written and appendable") + ": an image is burned on a blank or an overwritable "
                    + "medium", rid, null, null, null);
        }
        if (!m.writable()) {
            return new MediaNotWritableException(HResult.E_IMAPI_RECORDER_MEDIA_WRITE_PROTECTED, "the "
                    + m.profile().displayName() + " in recorder " + rid + " is not writable (" + m.detail() + ")",
                    rid, null, null, null);
        }
        if (p.size() > m.freeBytes()) {
            return new MediaTooSmallException(HResult.E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA, "the image "
                    + image + " has " + p.size() + " bytes; the " + m.profile().displayName() + " in recorder " + rid
                    + " has " + m.freeBytes() + " bytes free", rid, null, null, null);
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ writing

    private void startWriting() {
        BurnImage opened = image;
        MediaInfo read = media;
        state = State.WRITING;
        writerRunning = true;
        BurnSource burnSource = new BurnSource(opened, total);
        source = burnSource;
        BurnPlan plan = new BurnPlan(slot.id.value(), session.clientName(), burnSource, read, request.closeDisc(),
                request.simulate(), request.writeSpeedKBps(), request.verify() && !request.simulate());
        touch();
        armStallTimer();
        emit(); // the image's size is known and the burn was not refused
        LOG.log(Level.INFO, "burn {0} on {1} for ''{2}'': {3} bytes, {4}, medium {5}", id, slot.id,
                session.clientName(), total, request, read.describe());
        onWorker(handle -> {
            try {
                handle.get().burn(plan, control);
            } catch (Throwable t) {
                control.finished(NativeCalls.asRecorderException(t, slot.id, "burn"));
            }
        });
    }

    /** The backend's latest report reaches the event loop. */
    private void reported(Report report) {
        if (state != State.WRITING || subscriberDone) {
            return; // nothing more is told of a burn that failed or was cancelled; it only stops
        }
        BurnPhase next = report.phase() == BurnPhase.COMPLETED || report.phase() == BurnPhase.PREPARING
                ? phase : report.phase();
        long done = Math.min(Math.max(0, report.bytesDone()), total);
        // progress, for the stall watchdog: a new phase, more bytes, or a writer that says it writes (a speed above 0:
        // a tool that counts whole mebibytes reports its speed in between); before and after the data (preparing,
        // formatting, closing), where a writer has no bytes to count, any report of it is its sign of life
        boolean noBytesToCount = next != BurnPhase.WRITING && next != BurnPhase.VERIFYING;
        if (next != phase || done != bytesDone || report.bytesPerSecond() > 0 || noBytesToCount) {
            if (next != phase) {
                speedMarkNanos = core.nowNanos();
                speedMarkBytes = done;
            }
            touch();
        }
        phase = next;
        bytesDone = done;
        bufferPercent = Math.max(-1, Math.min(100, report.bufferPercent()));
        bytesPerSecond = report.bytesPerSecond() > 0 ? report.bytesPerSecond() : measuredSpeed(done);
        remaining = report.remaining();
        emit();
        maybePublishProgress();
    }

    /** The speed over the last second or more, when the backend gives none. */
    private long measuredSpeed(long done) {
        long now = core.nowNanos();
        long span = now - speedMarkNanos;
        if (speedMarkNanos == 0) {
            speedMarkNanos = now;
            speedMarkBytes = done;
            return bytesPerSecond;
        }
        if (span < TimeUnit.SECONDS.toNanos(1)) {
            return bytesPerSecond;
        }
        long speed = (long) ((done - speedMarkBytes) * 1e9 / span);
        speedMarkNanos = now;
        speedMarkBytes = done;
        return Math.max(0, speed);
    }

    /** The backend's {@code finished} reaches the event loop: everything it started has stopped. */
    private void writerFinished(@Nullable RecorderException error) {
        writerRunning = false;
        disarmStallTimer();
        if (subscriberDone || stopRequested) {
            if (error != null && failure == null && !cancelledBySubscriber) {
                LOG.log(Level.DEBUG, "burn {0} stopped with: {1}", id, error.getMessage());
            }
            maybeStopped();
            return;
        }
        if (error != null) {
            fail(error);
            maybeStopped();
            return;
        }
        bytesDone = total;
        if (request.verify() && !verifiesItself && !request.simulate()) {
            verify();
        } else {
            checksumAndComplete(request.verify() && verifiesItself && !request.simulate(), null);
        }
    }

    // ------------------------------------------------------------------------------------------------ verifying

    private void verify() {
        state = State.VERIFYING;
        phase = BurnPhase.VERIFYING;
        bytesDone = 0;
        bytesPerSecond = 0;
        remaining = null;
        speedMarkNanos = core.nowNanos();
        speedMarkBytes = 0;
        readBack = BurnSource.newDigest();
        touch();
        emit();
        publish(BurnEvent.Outcome.RUNNING, null);
        readNext();
    }

    private void readNext() {
        if (stopRequested || subscriberDone) {
            maybeStopped();
            return;
        }
        if (bytesDone >= total) {
            String sum = HexFormat.of().formatHex(readBack.digest());
            checksumAndComplete(true, sum);
            return;
        }
        long offset = bytesDone;
        int length = (int) Math.min(VERIFY_CHUNK, total - offset);
        MessageDigest digest = readBack;
        callInFlight = true;
        slot.calls().call("READ (verify)", handle -> {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            handle.call(r -> {
                r.readBack(offset, buffer);
                return null;
            });
            buffer.flip();
            int n = buffer.remaining();
            digest.update(buffer);
            return n;
        }, new NativeCalls.Outcome<Integer>() {
            @Override
            public void completed(@Nullable Integer value, @Nullable RecorderException error, boolean late) {
                callInFlight = false;
                if (late) {
                    maybeStopped();
                    return;
                }
                if (error != null || value == null || value <= 0) {
                    fail(error != null ? error : new MediumErrorException(HResult.E_IMAPI_BURN_VERIFICATION_FAILED,
                            "reading the disc back at byte " + offset + " gave nothing", slot.id, null, null, null));
                    maybeStopped();
                    return;
                }
                bytesDone += value;
                bytesPerSecond = measuredSpeed(bytesDone);
                remaining = bytesPerSecond > 0 ? Duration.ofMillis((total - bytesDone) * 1000 / bytesPerSecond)
                        : null;
                touch();
                emit();
                maybePublishProgress();
                readNext();
            }

            @Override
            public void timedOut(CommandTimeoutException timeout, boolean started) {
                fail(timeout);
            }

            @Override
            public void crashed(Throwable bug) {
                callInFlight = false;
                fail(NativeCalls.asRecorderException(bug, slot.id, "READ (verify)"));
                maybeStopped();
            }
        });
    }

    /**
     * The image's checksum (on the worker: it may read the image once more), compared with what was read back when
     * {@code readBackSum} is given, then the result.
     *
     * @param verified whether the burn counts as verified once the sums agree (or the backend verified)
     */
    private void checksumAndComplete(boolean verified, @Nullable String readBackSum) {
        state = State.FINISHING;
        BurnSource burnSource = source;
        callInFlight = true;
        onWorker(handle -> {
            String sum;
            RecorderException error = null;
            try {
                sum = burnSource.sha256();
            } catch (IOException e) {
                sum = null;
                error = new io.discagent.api.error.InvalidArgumentException("the image " + burnSource.name()
                        + " could not be read for its checksum: " + e, slot.id);
            }
            String imageSum = sum;
            RecorderException failed = error;
            core.loop().execute(() -> {
                callInFlight = false;
                if (failed != null) {
                    fail(failed);
                } else if (readBackSum != null && !readBackSum.equals(imageSum)) {
                    fail(new MediumErrorException(HResult.E_IMAPI_BURN_VERIFICATION_FAILED, "the disc in recorder "
                            + slot.id + " read back with SHA-256 " + readBackSum + "; the image " + burnSource.name()
                            + " has " + imageSum, slot.id, null, null, null));
                } else if (!subscriberDone) {
                    complete(new BurnResult(total, elapsed(), imageSum, verified, request.closeDisc()
                            && media != null && !media.profile().rewritable() && !request.simulate(),
                            request.simulate(), media == null ? io.discagent.api.MediaProfile.UNKNOWN
                            : media.profile()));
                }
                maybeStopped();
            });
        });
    }

    private void complete(BurnResult result) {
        phase = BurnPhase.COMPLETED;
        bytesDone = total;
        remaining = Duration.ZERO;
        BurnProgress last = progress(result);
        subscriberDone = true;
        publishEvent(last, BurnEvent.Outcome.SUCCEEDED, null);
        LOG.log(Level.INFO, "burn {0} on {1} completed: {2} bytes in {3} ms, SHA-256 {4}{5}", id, slot.id, total,
                result.duration().toMillis(), result.sha256(), result.verified() ? ", verified" : "");
        sink.next(last);
        sink.complete();
    }

    // ------------------------------------------------------------------------------------------------ stopping

    /** The subscriber cancelled. */
    void cancelled() {
        assert core.loop().assertInLoop();
        if (subscriberDone) {
            return;
        }
        subscriberDone = true;
        cancelledBySubscriber = true;
        LOG.log(Level.INFO, "burn {0} on {1} cancelled by its subscriber in {2}", id, slot.id, phase);
        publish(BurnEvent.Outcome.CANCELLED, new RequestCancelledException("the burn was cancelled", slot.id));
        requestStop();
        maybeStopped();
    }

    /** The hold ended under the burn: it fails with the hold's cause and stops; the hold waits for that. */
    @Override
    public void revoke(RecorderException cause, Runnable stopped) {
        whenStopped.add(stopped);
        fail(cause);
        requestStop();
        maybeStopped();
    }

    /** Fails the subscriber (once) and asks the writer to stop. */
    private void fail(RecorderException error) {
        if (subscriberDone) {
            requestStop();
            return;
        }
        subscriberDone = true;
        failure = error;
        LOG.log(Level.INFO, "burn {0} on {1} failed in {2}: {3}", id, slot.id, phase, error.getMessage());
        publish(BurnEvent.Outcome.FAILED, error);
        requestStop();
        sink.error(error);
    }

    private void requestStop() {
        if (!stopRequested) {
            stopRequested = true;
            control.requestStop();
        }
    }

    /** Ends the burn's scope once nothing of it runs any more. */
    private void maybeStopped() {
        if (state == State.DONE || writerRunning || callInFlight || !subscriberDone) {
            return;
        }
        state = State.DONE;
        disarmStallTimer();
        BurnImage opened = image;
        if (opened != null && ownsImage) {
            IOException e = opened.closeQuietly();
            if (e != null) {
                LOG.log(Level.DEBUG, "closing the image of burn {0}: {1}", id, e.getMessage());
            }
        }
        slot.burning(false);
        slot.removeScope(hold, this);
        core.burnEnded(this);
        for (Runnable stopped : whenStopped) {
            stopped.run();
        }
        whenStopped.clear();
    }

    /** Runs a task of this burn on the recorder's worker, outside {@link NativeCalls} (no command timeout). */
    private void onWorker(java.util.function.Consumer<RecorderHandle> task) {
        workerTasks.incrementAndGet();
        slot.onWorker(handle -> {
            try {
                task.accept(handle);
            } finally {
                workerTasks.decrementAndGet();
            }
        });
    }

    /** How many tasks of this burn are queued on or run on the recorder's worker now. Any thread. */
    int workerTasks() {
        return workerTasks.get();
    }

    // ------------------------------------------------------------------------------------------------ stall

    private void touch() {
        lastChangeNanos = core.nowNanos();
    }

    private void armStallTimer() {
        Duration timeout = core.settings().burnStallTimeout();
        if (timeout.isZero() || stallTimer != null) {
            return;
        }
        long due = Durations.saturatedAdd(lastChangeNanos, Durations.toNanos(timeout));
        stallTimer = core.time().schedule(() -> core.loop().execute(this::stallCheck),
                Math.max(0, due - core.nowNanos()), TimeUnit.NANOSECONDS);
    }

    private void disarmStallTimer() {
        Disposable timer = stallTimer;
        stallTimer = null;
        if (timer != null) {
            timer.dispose();
        }
    }

    private void stallCheck() {
        stallTimer = null;
        if (state != State.WRITING || !writerRunning || subscriberDone) {
            return;
        }
        Duration timeout = core.settings().burnStallTimeout();
        if (core.nowNanos() - lastChangeNanos < Durations.toNanos(timeout)) {
            armStallTimer();
            return;
        }
        core.publishCommandTimeout(slot.id, "burn (" + phase + ")", timeout);
        fail(new CommandTimeoutException(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT, "the burn on recorder " + slot.id
                + " made no progress for " + timeout.toMillis() + " ms in " + phase + " (at " + bytesDone + " of "
                + total + " bytes): a hung write; the writer is being stopped", slot.id, null, null, null));
    }

    // ------------------------------------------------------------------------------------------------ progress

    private Duration elapsed() {
        return Duration.ofNanos(Math.max(0, core.nowNanos() - startedNanos));
    }

    private BurnProgress progress(@Nullable BurnResult result) {
        Duration left = remaining;
        if (left == null && bytesPerSecond > 0 && (phase == BurnPhase.WRITING || phase == BurnPhase.VERIFYING)) {
            left = Duration.ofMillis((total - bytesDone) * 1000 / bytesPerSecond);
        }
        return new BurnProgress(id, slot.id, phase, bytesDone, total, bytesPerSecond, bufferPercent, elapsed(),
                left, result);
    }

    private void emit() {
        if (!subscriberDone) {
            sink.next(progress(null));
        }
    }

    /** A progress event at a phase change, or when the burn event interval has passed since the last one. */
    private void maybePublishProgress() {
        long interval = Durations.toNanos(core.settings().burnEventInterval());
        if (phaseUnpublished() || core.nowNanos() - lastEventNanos >= interval) {
            publish(BurnEvent.Outcome.RUNNING, null);
        }
    }

    private BurnPhase lastPublishedPhase = BurnPhase.PREPARING;

    private void publish(BurnEvent.Outcome outcome, @Nullable RecorderException error) {
        publishEvent(progress(null), outcome, error);
    }

    private void publishEvent(BurnProgress progress, BurnEvent.Outcome outcome, @Nullable RecorderException error) {
        lastEventNanos = core.nowNanos();
        lastPublishedPhase = progress.phase();
        core.publishBurn(this, progress, outcome, error);
    }

    /** Whether the last published event is older than this phase (a new phase is always published). */
    private boolean phaseUnpublished() {
        return lastPublishedPhase != phase;
    }

    // ------------------------------------------------------------------------------------------------ control

    /** What the backend calls, from any thread: reports hop to the event loop, the latest one wins. */
    private final class Control implements BurnControl {

        private final AtomicReference<@Nullable Report> latest = new AtomicReference<>();
        private final AtomicBoolean drainScheduled = new AtomicBoolean();
        private final AtomicBoolean finishedOnce = new AtomicBoolean();
        private volatile boolean stop;
        /** Hooks registered before the stop; guarded by {@code this}. */
        private final List<Runnable> hooks = new ArrayList<>(1);

        @Override
        public void progress(BurnPhase phase, long bytesDone, long bytesPerSecond, int bufferPercent,
                @Nullable Duration remaining) {
            latest.set(new Report(phase, bytesDone, bytesPerSecond, bufferPercent, remaining));
            if (drainScheduled.compareAndSet(false, true)) {
                core.loop().execute(this::drain);
            }
        }

        private void drain() {
            drainScheduled.set(false);
            Report report = latest.getAndSet(null);
            if (report != null) {
                reported(report);
            }
        }

        @Override
        public void finished(@Nullable RecorderException failure) {
            if (!finishedOnce.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "burn {0}: the backend reported its end twice", id);
                return;
            }
            core.loop().execute(() -> {
                drain(); // the last report comes before the end
                writerFinished(failure);
            });
        }

        @Override
        public boolean cancelRequested() {
            return stop;
        }

        @Override
        public void onCancel(Runnable hook) {
            boolean now;
            synchronized (this) {
                now = stop;
                if (!now) {
                    hooks.add(hook);
                }
            }
            if (now) {
                hook.run();
            }
        }

        @Override
        public void onWorkerAfter(Duration delay, Runnable task) {
            if (delay.isZero()) {
                onWorker(handle -> task.run());
            } else {
                core.time().schedule(() -> onWorker(handle -> task.run()), Durations.toNanos(delay),
                        TimeUnit.NANOSECONDS);
            }
        }

        /** Event loop: asks the writer to stop. */
        void requestStop() {
            List<Runnable> run;
            synchronized (this) {
                stop = true;
                run = new ArrayList<>(hooks);
                hooks.clear();
            }
            for (Runnable hook : run) {
                try {
                    hook.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "stopping the writer of burn " + id + " failed", e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "burn " + id + " on " + slot.id + " for '" + session.clientName() + "' (" + state + ", " + phase + ")";
    }
}
