package io.discagent.service.http;

import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code /api/v1/sim}: control of the simulated backend, served only when the agent runs it and simulator control is
 * on ({@code --simulator-control} or {@code --demo}); at most {@code maxSimulatedRecorders} of them. Add and remove
 * recorders, lock one as an external process would, and inject faults (HRESULT failures, hangs, latency). The
 * simulator's methods are thread-safe and quick, so handlers call them on the HTTP event loop.
 */
final class SimulatorEndpoints {

    private static final String RECORDER = "/api/v1/sim/recorders/{rid}";

    private final Simulator sim;
    private final int maxRecorders;

    /** @param maxRecorders how many simulated recorders may be present at once (each has a native thread) */
    SimulatorEndpoints(Simulator sim, int maxRecorders) {
        this.sim = sim;
        this.maxRecorders = maxRecorders;
    }

    List<Endpoint> endpoints() {
        return List.of(
                sim(HttpMethod.GET, "/api/v1/sim/recorders", "simListRecorders",
                        "The simulated devices: presence, native and external owners, faults in progress")
                        .ok(200, "The simulated devices", "SimDeviceList")
                        .handler(this::list),
                sim(HttpMethod.POST, "/api/v1/sim/recorders", "simAddRecorder",
                        "Plug in a simulated recorder (with the next free id, or the given one)")
                        .body("SimAddRequest", false)
                        .ok(201, "The new recorder", "SimDevice").problems(400, 409, 429)
                        .handler(this::add),
                sim(HttpMethod.DELETE, RECORDER, "simRemoveRecorder", "Unplug a simulated recorder")
                        .noBody()
                        .ok(204, "Removed", null).problems(400, 404)
                        .handler(command(id -> sim.removeRecorder(id))),
                sim(HttpMethod.PUT, RECORDER + "/external-lock", "simLockExternally",
                        "Lock the recorder as another process would")
                        .body("SimExternalLock", true)
                        .ok(204, "Locked", null).problems(400, 404, 409)
                        .handler(this::lockExternally),
                sim(HttpMethod.DELETE, RECORDER + "/external-lock", "simUnlockExternally", "End an external lock")
                        .noBody()
                        .ok(204, "Unlocked", null).problems(400, 404)
                        .handler(command(id -> sim.unlockExternally(id))),
                sim(HttpMethod.POST, RECORDER + "/faults", "simInjectFault",
                        "The next native calls fail with an HRESULT, or hang until release-hangs")
                        .body("SimFault", true)
                        .ok(204, "Armed", null).problems(400, 404)
                        .handler(this::fault),
                sim(HttpMethod.POST, RECORDER + "/release-hangs", "simReleaseHangs",
                        "Let every hung native call of the recorder continue")
                        .noBody()
                        .ok(204, "Released", null).problems(400, 404)
                        .handler(command(id -> sim.releaseHangs(id))),
                sim(HttpMethod.PUT, RECORDER + "/latency", "simSetLatency", "Every native call takes this long")
                        .body("SimLatency", true)
                        .ok(204, "Set", null).problems(400, 404)
                        .handler(this::latency),
                sim(HttpMethod.PUT, RECORDER + "/media", "simChangeMedia", "Change the medium and report it")
                        .body("SimMedia", true)
                        .ok(204, "Changed", null).problems(400, 404)
                        .handler(this::media),
                sim(HttpMethod.PUT, RECORDER + "/mount", "simMountVolume",
                        "Mount a file system: an acquire without force then fails with 0x80070016")
                        .body("SimMount", true)
                        .ok(204, "Mounted", null).problems(400, 404)
                        .handler(this::mount));
    }

    private static Endpoint sim(HttpMethod method, String path, String operationId, String summary) {
        return Endpoint.of(method, path, operationId, "simulator", summary).access(Access.SIMULATOR);
    }

    private Handler<RoutingContext> command(Consumer<RecorderId> action) {
        return rc -> {
            RecorderId id = PathParams.recorder(rc);
            simulate(() -> action.accept(id));
            Replies.noContent(rc);
        };
    }

    private static void simulate(Runnable action) {
        try {
            action.run();
        } catch (IllegalStateException e) {
            throw ServiceProblem.of(ProblemKind.SIM_CONFLICT, e.getMessage());
        }
    }

    private void list(RoutingContext rc) {
        JsonArray devices = new JsonArray();
        for (RecorderId id : sim.recorders()) {
            devices.add(deviceJson(sim.state(id)));
        }
        Replies.json(rc, 200, new JsonObject().put("recorders", devices));
    }

    private void add(RoutingContext rc) {
        String id = RequestBody.of(rc).string("id");
        if (sim.recorders().size() >= maxRecorders) {
            throw ServiceProblem.of(ProblemKind.TOO_MANY_SIMULATED_RECORDERS, maxRecorders + " simulated recorders "
                    + "are present (the limit, --max-simulated-recorders)");
        }
        RecorderId[] added = new RecorderId[1];
        simulate(() -> added[0] = id == null ? sim.addRecorder() : sim.addRecorder(id));
        rc.response().putHeader("Location", "/api/v1/sim/recorders/" + added[0].value());
        Replies.json(rc, 201, deviceJson(sim.state(added[0])));
    }

    private void lockExternally(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        String owner = RequestBody.of(rc).requiredString("owner");
        simulate(() -> sim.lockExternally(id, owner));
        Replies.noContent(rc);
    }

    private void fault(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        RequestBody body = RequestBody.of(rc);
        Simulator.Operation operation = enumValue(Simulator.Operation.class, body.string("operation"),
                Simulator.Operation.ANY);
        String kind = body.requiredString("kind");
        int times = (int) body.integer("times", 1);
        if (kind.equals("fail")) {
            String code = body.string("hresult");
            if (code == null) {
                throw new InvalidArgumentException("a fail needs an 'hresult'");
            }
            HResult hresult = hresult(code);
            simulate(() -> sim.failNext(id, operation, hresult, times));
        } else if (kind.equals("hang")) {
            if (body.has("hresult")) {
                throw new InvalidArgumentException("a hang takes no hresult");
            }
            simulate(() -> sim.hangNext(id, operation, times));
        } else {
            throw new InvalidArgumentException("'kind' must be \"fail\" or \"hang\"");
        }
        Replies.noContent(rc);
    }

    /** An HRESULT given as hexadecimal ({@code 0xC0AA0210}) or by name ({@code E_IMAPI_RECORDER_LOCKED}). */
    static HResult hresult(String text) {
        String trimmed = text.trim();
        if (trimmed.regionMatches(true, 0, "0x", 0, 2)) {
            long value;
            try {
                value = Long.parseLong(trimmed.substring(2), 16);
            } catch (NumberFormatException e) {
                value = -1;
            }
            if (value < 0 || value > 0xFFFFFFFFL) {
                throw new InvalidArgumentException("'hresult' is not a 32-bit hexadecimal code");
            }
            HResult hresult = HResult.of((int) value);
            if (!hresult.isFailure()) {
                throw new InvalidArgumentException("'hresult' must be a failure code (severity bit set)");
            }
            return hresult;
        }
        for (HResult known : HResult.known().values()) {
            if (known.name().equals(trimmed) && known.isFailure()) {
                return known;
            }
        }
        throw new InvalidArgumentException("'hresult' must be a failure HRESULT: hexadecimal (0xC0AA0210) or a known name");
    }

    private void latency(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        long millis = RequestBody.of(rc).integer("millis", 0);
        simulate(() -> sim.setLatency(id, Duration.ofMillis(millis)));
        Replies.noContent(rc);
    }

    private void media(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        MediaState state = MediaState.valueOf(RequestBody.of(rc).requiredString("state"));
        simulate(() -> sim.changeMedia(id, state));
        Replies.noContent(rc);
    }

    private void mount(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        String mountPoint = RequestBody.of(rc).requiredString("mountPoint");
        simulate(() -> sim.mountVolume(id, mountPoint));
        Replies.noContent(rc);
    }

    /** The constant named {@code text} (the schema lists exactly the constants), or {@code fallback} when absent. */
    private static <E extends Enum<E>> E enumValue(Class<E> type, @Nullable String text, E fallback) {
        return text == null ? fallback : Enum.valueOf(type, text);
    }

    static JsonObject deviceJson(SimulatedDeviceState state) {
        return new JsonObject()
                .put("id", state.recorder().value())
                .put("present", state.present())
                .put("nativeOwner", state.nativeOwner())
                .put("externalOwner", state.externalOwner())
                .put("mountedAt", state.mountedAt())
                .put("locksTaken", state.locksTaken())
                .put("locksDropped", state.locksDropped())
                .put("blockedCalls", state.blockedCalls())
                .put("media", state.media().name().toLowerCase(Locale.ROOT));
    }
}
