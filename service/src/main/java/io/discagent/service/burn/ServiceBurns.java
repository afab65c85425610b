package io.discagent.service.burn;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnImage;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.error.RecorderException;
import io.discagent.service.events.EventJson;
import io.vertx.core.Context;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/**
 * The burns started through the service: each one's latest progress, its end, and who may cancel it. A burn runs as
 * the agent's hold-burn-release convenience ({@code ClientSession.burn(recorder, options, request)}) for a session
 * that already holds the recorder, so the burn holds one count of its own for as long as it runs and the session's
 * other counts are untouched; its image is the channel {@link ImageFiles} opened, handed over to the agent, which
 * closes it once the burn has stopped reading.
 *
 * <p>Progress is pulled one item at a time and handled on the service's event loop, so a busy loop sees the latest
 * state, never a backlog (the agent's burn {@code Flux} keeps only the latest). Event loop only.
 */
public final class ServiceBurns {

    private static final System.Logger LOG = System.getLogger(ServiceBurns.class.getName());
    /** How many ended burns are kept for {@code GET /api/v1/burns}. */
    public static final int KEPT_ENDED = 32;

    /** Where a burn is. */
    public enum State { RUNNING, SUCCEEDED, FAILED, CANCELLED }

    private final Context context;
    private final Map<String, Burn> running = new LinkedHashMap<>();
    private final Deque<Burn> ended = new ArrayDeque<>();

    public ServiceBurns(Context context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    /** One burn of the service. */
    public final class Burn {
        private final RecorderId recorder;
        private final String sessionId;
        private final String clientName;
        private final String image;
        private final BurnRequest request;
        private final Instant started = Instant.now();
        private @Nullable String id;
        private @Nullable BurnProgress latest;
        private State state = State.RUNNING;
        private @Nullable Throwable error;
        private @Nullable Instant endedAt;
        private @Nullable Subscriber subscriber;

        private Burn(RecorderId recorder, String sessionId, String clientName, String image, BurnRequest request) {
            this.recorder = recorder;
            this.sessionId = sessionId;
            this.clientName = clientName;
            this.image = image;
            this.request = request;
        }

        /** The agent's burn id ({@code b-1}); null until the burn reported once. */
        public @Nullable String id() {
            return id;
        }

        public RecorderId recorder() {
            return recorder;
        }

        /** The session that started it (never shown to other clients). */
        public String sessionId() {
            return sessionId;
        }

        public State state() {
            return state;
        }

        public @Nullable BurnProgress latest() {
            return latest;
        }

        /** The burn as JSON: no session id (other clients read it too). */
        public JsonObject json() {
            JsonObject json = new JsonObject()
                    .put("burnId", id)
                    .put("recorder", recorder.value())
                    .put("clientName", clientName)
                    .put("image", image)
                    .put("state", state.name())
                    .put("startedAt", started.toString())
                    .put("endedAt", endedAt == null ? null : endedAt.toString())
                    .put("options", new JsonObject()
                            .put("closeDisc", request.closeDisc())
                            .put("verify", request.verify())
                            .put("writeSpeedKBps", request.writeSpeedKBps())
                            .put("simulate", request.simulate()));
            if (latest != null) {
                json.put("progress", EventJson.progress(latest));
            }
            Throwable failure = error;
            if (failure instanceof RecorderException r) {
                JsonObject error = new JsonObject().put("hresult", r.hresult().hex())
                        .put("hresultName", r.hresult().name()).put("detail", r.detailMessage());
                r.nativeDetail().ifPresent(n -> error.put("nativeDetail", n.toString()));
                json.put("error", error);
            } else if (failure != null) {
                json.put("error", new JsonObject().put("detail", String.valueOf(failure.getMessage())));
            }
            return json;
        }
    }

    /**
     * Starts a burn of {@code opened} on {@code recorder} for {@code session}, and calls {@code started} once (on
     * the event loop): with the burn when the agent has accepted it (the image measured, the medium checked) or it
     * ended before that, or with the failure when it never started. A failure after the burn started is kept on the
     * burn, and given to {@code started} too if it has not been called yet (a refusal: the medium cannot take it).
     */
    public void start(ClientSession session, String sessionId, RecorderId recorder, ImageFiles.Opened opened,
            Consumer<BurnRequest.Builder> options, BiConsumer<@Nullable Burn, @Nullable Throwable> started) {
        String name = opened.realPath().toString();
        BurnRequest request;
        try {
            BurnRequest.Builder builder = BurnRequest.builder(BurnImage.handOver(opened.channel(), name));
            options.accept(builder);
            request = builder.build();
        } catch (RuntimeException e) {
            closeQuietly(opened);
            throw e;
        }
        Burn burn = new Burn(recorder, sessionId, session.clientName(), name, request);
        Subscriber subscriber = new Subscriber(burn, opened, started);
        burn.subscriber = subscriber;
        session.burn(recorder, AcquireOptions.DEFAULT, request).subscribe(subscriber);
    }

    /** The burn with this id, running or recently ended. */
    public @Nullable Burn get(String id) {
        Burn burn = running.get(id);
        if (burn != null) {
            return burn;
        }
        for (Burn b : ended) {
            if (id.equals(b.id)) {
                return b;
            }
        }
        return null;
    }

    /** Running burns first (oldest first), then the ended ones (latest first). */
    public List<Burn> all() {
        List<Burn> all = new ArrayList<>(running.values());
        all.addAll(ended);
        return all;
    }

    /** The running burn of a recorder, if any. */
    public @Nullable Burn runningOn(RecorderId recorder) {
        for (Burn burn : running.values()) {
            if (burn.recorder.equals(recorder)) {
                return burn;
            }
        }
        return null;
    }

    /** The burns as a JSON array. */
    public JsonArray json() {
        JsonArray array = new JsonArray();
        for (Burn burn : all()) {
            array.add(burn.json());
        }
        return array;
    }

    /**
     * Cancels a running burn: the agent stops its writer (a child process is reaped) before the recorder passes on.
     * An ended burn stays as it ended.
     */
    public void cancel(Burn burn) {
        Subscriber subscriber = burn.subscriber;
        if (burn.state != State.RUNNING || subscriber == null) {
            return;
        }
        subscriber.dispose();
        subscriber.ended(State.CANCELLED, new CancellationException("cancelled by its session"));
    }

    /** Pulls the burn's progress one at a time onto the event loop. Signals arrive on any thread. */
    private final class Subscriber extends BaseSubscriber<BurnProgress> {

        private final Burn burn;
        private final ImageFiles.Opened opened;
        private @Nullable BiConsumer<@Nullable Burn, @Nullable Throwable> started;

        Subscriber(Burn burn, ImageFiles.Opened opened, BiConsumer<@Nullable Burn, @Nullable Throwable> started) {
            this.burn = burn;
            this.opened = opened;
            this.started = started;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(1);
        }

        @Override
        protected void hookOnNext(BurnProgress progress) {
            context.runOnContext(v -> {
                if (burn.state == State.RUNNING) {
                    progressed(progress);
                }
                request(1);
            });
        }

        @Override
        protected void hookOnComplete() {
            context.runOnContext(v -> ended(State.SUCCEEDED, null));
        }

        @Override
        protected void hookOnError(Throwable error) {
            context.runOnContext(v -> ended(State.FAILED, error));
        }

        private void progressed(BurnProgress progress) {
            if (burn.id == null) {
                burn.id = progress.burnId();
                running.put(progress.burnId(), burn);
            }
            burn.latest = progress;
            if (progress.totalBytes() > 0 || progress.phase() != BurnPhase.PREPARING) {
                answer(burn, null); // accepted: the image measured and the medium checked
            }
        }

        void ended(State state, @Nullable Throwable error) {
            if (burn.state != State.RUNNING) {
                return;
            }
            burn.state = state;
            burn.error = error;
            burn.endedAt = Instant.now();
            if (burn.id == null) {
                closeQuietly(opened); // the agent never started it, so it never took the image
                answer(null, error != null ? error : new IllegalStateException("the burn ended before it began"));
                return;
            }
            running.remove(burn.id);
            if (started != null) {
                answer(null, error != null ? error : new IllegalStateException("the burn ended before it began"));
                return; // refused up front (the medium cannot take it): the client got a problem, not a burn
            }
            ended.addFirst(burn);
            while (ended.size() > KEPT_ENDED) {
                ended.removeLast();
            }
        }

        private void answer(@Nullable Burn accepted, @Nullable Throwable error) {
            BiConsumer<@Nullable Burn, @Nullable Throwable> once = started;
            started = null;
            if (once != null) {
                once.accept(error == null ? accepted : null, error);
            }
        }
    }

    private static void closeQuietly(ImageFiles.Opened opened) {
        try {
            opened.channel().close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing an image that was never burned: " + e);
        }
    }
}
