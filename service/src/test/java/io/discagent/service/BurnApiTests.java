package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.BurnFault;
import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.service.SseClient.Frame;
import io.discagent.service.TestService.Reply;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Burning through the service over real HTTP on the simulated backend: the medium, a burn for a session that holds
 * the recorder (written byte for byte, its progress on {@code GET} and on the event stream), cancellation, the burn
 * directory's confinement (real paths, links, {@code ..}) and each refusal and failure with its problem type and
 * HRESULT. The recorder always ends held by the session alone (the burn's own count gone).
 */
class BurnApiTests {

    private static final RecorderId SIM0 = RecorderId.of("sim-0");

    @TempDir
    Path temp;
    private Path images;
    private TestService t;

    @BeforeEach
    void start() throws IOException {
        images = Files.createDirectories(temp.resolve("images"));
        Path discs = Files.createDirectories(temp.resolve("discs"));
        t = TestService.start(c -> c.burnDirectory(images.toString())
                .agent(a -> a.backendProperty("simulated.discDirectory", discs.toString())));
        t.sim().insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
    }

    @AfterEach
    void stop() {
        t.close();
    }

    @Test
    void theMediumIsReportedWithWhatTheRecorderCanWrite() {
        Reply reply = t.get("/api/v1/recorders/sim-0/media");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        JsonObject media = reply.json();
        assertThat(media.getString("recorder")).isEqualTo("sim-0");
        assertThat(media.getString("profile")).isEqualTo("DVD+R");
        assertThat(media.getString("disc")).isEqualTo("BLANK");
        assertThat(media.getBoolean("writable")).isTrue();
        assertThat(media.getLong("freeBytes")).isEqualTo(SimulatedDisc.DVD_BYTES);
        assertThat(media.getJsonArray("writeProfiles").getList()).contains("DVD+R");

        t.sim().insertDisc(SIM0, SimulatedDisc.closed(MediaProfile.DVD_PLUS_R));
        JsonObject closed = t.get("/api/v1/recorders/sim-0/media").json();
        assertThat(closed.getString("disc")).isEqualTo("CLOSED");
        assertThat(closed.getBoolean("writable")).isFalse();

        t.get("/api/v1/recorders/no-such/media").problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
    }

    @Test
    void aSessionThatHoldsTheRecorderBurnsAnImageByteForByte() throws Exception {
        byte[] content = image("disc.iso", 512);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        try (SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            Reply started = burn(a, new JsonObject().put("image", "disc.iso").put("verify", true));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String id = started.json().getString("burnId");
            assertThat(id).isNotBlank();
            assertThat(started.headers().firstValue("Location")).hasValue("/api/v1/burns/" + id);
            assertThat(started.json().getString("image")).isEqualTo(images.resolve("disc.iso").toRealPath().toString());
            assertThat(started.json().getString("clientName")).isEqualTo("Kiosk A");
            assertThat(started.json().getJsonObject("options").getBoolean("verify")).isTrue();
            assertThat(started.json().encode()).doesNotContain(a.id()).doesNotContain(a.token());

            JsonObject done = awaitEnd(id);
            assertThat(done.getString("state")).as(done.encode()).isEqualTo("SUCCEEDED");
            JsonObject progress = done.getJsonObject("progress");
            assertThat(progress.getString("phase")).isEqualTo("COMPLETED");
            JsonObject result = progress.getJsonObject("result");
            assertThat(result.getLong("bytesWritten")).isEqualTo(content.length);
            assertThat(result.getBoolean("verified")).isTrue();
            assertThat(result.getBoolean("closed")).isTrue();
            assertThat(result.getString("sha256")).isEqualTo(sha256(content));
            byte[] disc = Files.readAllBytes(t.sim().discImage(SIM0));
            assertThat(java.util.Arrays.copyOf(disc, content.length)).isEqualTo(content);

            Frame end = burnFrame(sse, "SUCCEEDED");
            assertThat(end.recorder()).isEqualTo("sim-0");
            assertThat(end.data().getString("clientName")).isEqualTo("Kiosk A");
            assertThat(end.data().getJsonObject("progress").getString("burnId")).isEqualTo(id);
        }
        TestService.eventually(() -> t.lock("sim-0").getInteger("count") == 1);
        assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Kiosk A");
        assertThat(t.get("/api/v1/burns").json().getJsonArray("burns").size()).isEqualTo(1);
        assertThat(t.get("/api/v1/recorders/sim-0/media").json().getString("disc")).isEqualTo("CLOSED");
    }

    @Test
    void theSessionCancelsItsBurnAndKeepsTheRecorder() throws Exception {
        image("slow.iso", 1024);
        t.sim().setBurnSpeed(SIM0, 64 * 1024);
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        t.acquire(a, "sim-0");
        Reply started = burn(a, new JsonObject().put("image", "slow.iso"));
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String id = started.json().getString("burnId");
        assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(2); // the burn holds a count of its own
        TestService.eventually(() -> "WRITING".equals(progressOf(id).getString("phase")));

        t.post("/api/v1/burns/" + id + "/cancel", new JsonObject().put("sessionId", b.id()),
                "X-Session-Token", b.token()).problem(403, "E_ACCESSDENIED");
        t.post("/api/v1/burns/" + id + "/cancel", new JsonObject().put("sessionId", a.id()))
                .problem(401, "E_ACCESSDENIED");

        Reply cancelled = t.post("/api/v1/burns/" + id + "/cancel", new JsonObject().put("sessionId", a.id()),
                "X-Session-Token", a.token());
        assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
        assertThat(cancelled.json().getString("state")).isEqualTo("CANCELLED");
        assertThat(t.get("/api/v1/burns/" + id).json().getString("state")).isEqualTo("CANCELLED");
        TestService.eventually(() -> t.lock("sim-0").getInteger("count") == 1);
        assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Kiosk A");

        // the recorder is free for a new burn at once
        t.sim().setBurnSpeed(SIM0, 64L * 1024 * 1024);
        t.sim().insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        image("next.iso", 16);
        Reply next = burn(a, new JsonObject().put("image", "next.iso"));
        assertThat(next.status()).as(next.body()).isEqualTo(202);
        assertThat(awaitEnd(next.json().getString("burnId")).getString("state")).isEqualTo("SUCCEEDED");
    }

    @Test
    void aMediumErrorMidBurnEndsItFailedWithTheSenseData() throws Exception {
        image("disc.iso", 256);
        t.sim().setBurnSpeed(SIM0, 256 * 1024);
        t.sim().failBurnAt(SIM0, 50, BurnFault.MEDIUM_ERROR);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        try (SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            Reply started = burn(a, new JsonObject().put("image", "disc.iso"));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            JsonObject done = awaitEnd(started.json().getString("burnId"));
            assertThat(done.getString("state")).isEqualTo("FAILED");
            JsonObject error = done.getJsonObject("error");
            assertThat(error.getString("hresult")).isEqualTo("0xC0AA0301");
            assertThat(error.getString("hresultName")).isEqualTo("E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE");
            assertThat(error.getString("detail")).contains("medium error");
            assertThat(error.getString("nativeDetail")).contains("MEDIUM ERROR").contains("sense 70 00 03");
            assertThat(done.getJsonObject("progress").getLong("bytesDone")).isPositive();
            Frame failed = burnFrame(sse, "FAILED");
            assertThat(failed.data().getJsonObject("error").getString("hresult")).isEqualTo("0xC0AA0301");
        }
        TestService.eventually(() -> t.lock("sim-0").getInteger("count") == 1);
    }

    @Test
    void closingTheSessionStopsItsBurnAndFreesTheRecorder() throws Exception {
        image("slow.iso", 1024);
        t.sim().setBurnSpeed(SIM0, 64 * 1024);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        Reply started = burn(a, new JsonObject().put("image", "slow.iso"));
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String id = started.json().getString("burnId");
        TestService.eventually(() -> "WRITING".equals(progressOf(id).getString("phase")));

        assertThat(t.send("DELETE", "/api/v1/sessions/" + a.id(), null, "X-Session-Token", a.token()).status())
                .isEqualTo(204);
        JsonObject ended = awaitEnd(id);
        assertThat(ended.getString("state")).as(ended.encode()).isIn("CANCELLED", "FAILED");
        TestService.eventually(() -> "free".equals(t.lock("sim-0").getString("state")));
        TestService.eventually(() -> t.sim().state(SIM0).nativeOwner() == null); // released after it shows free
    }

    @Test
    void aRecorderRemovedMidBurnEndsItWithItsHresult() throws Exception {
        image("disc.iso", 256);
        t.sim().setBurnSpeed(SIM0, 256 * 1024);
        t.sim().failBurnAt(SIM0, 50, BurnFault.REMOVAL);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        Reply started = burn(a, new JsonObject().put("image", "disc.iso"));
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonObject done = awaitEnd(started.json().getString("burnId"));
        assertThat(done.getString("state")).isEqualTo("FAILED");
        assertThat(done.getJsonObject("error").getString("hresult")).isEqualTo("0x80070037");
        t.get("/api/v1/recorders/sim-0").problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
    }

    @Test
    void aBurnIsRefusedUpFrontWhenTheMediumCannotTakeTheImage() throws Exception {
        image("disc.iso", 64);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");

        t.sim().insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R, 32 * 2048));
        JsonObject tooSmall = burn(a, new JsonObject().put("image", "disc.iso"))
                .problem(409, "E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA");
        assertThat(tooSmall.getString("type")).isEqualTo("urn:discagent:problem:media-too-small");
        assertThat(tooSmall.getString("hresult")).isEqualTo("0xC0AA0404");

        t.sim().insertDisc(SIM0, SimulatedDisc.closed(MediaProfile.DVD_PLUS_R));
        JsonObject closed = burn(a, new JsonObject().put("image", "disc.iso"))
                .problem(409, "E_IMAPI_DF2DATA_MEDIA_NOT_BLANK");
        assertThat(closed.getString("type")).isEqualTo("urn:discagent:problem:media-not-writable");
        assertThat(closed.getString("hresult")).isEqualTo("0xC0AA0405");

        assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(1);
        assertThat(t.get("/api/v1/burns").json().getJsonArray("burns")).isEmpty();
    }

    @Test
    void onlyTheHolderBurns() throws Exception {
        image("disc.iso", 16);
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        burn(a, new JsonObject().put("image", "disc.iso"))
                .problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        t.acquire(b, "sim-0");
        JsonObject problem = burn(a, new JsonObject().put("image", "disc.iso"))
                .problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:lock-not-held");
        t.post("/api/v1/recorders/sim-0/burns", new JsonObject().put("sessionId", b.id()).put("image", "disc.iso"))
                .problem(401, "E_ACCESSDENIED");
        assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Kiosk B");
        assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(1);
    }

    @Test
    void onlyImagesWhoseRealPathIsInsideTheBurnDirectoryAreBurned() throws Exception {
        Path outside = Files.write(temp.resolve("secret.iso"), new byte[2048]);
        Files.createSymbolicLink(images.resolve("link.iso"), outside);
        Files.createDirectories(images.resolve("sub"));
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");

        for (String escape : new String[] {"../secret.iso", "link.iso", "sub/../../secret.iso", outside.toString(),
                images.toString(), "sub"}) {
            JsonObject problem = burn(a, new JsonObject().put("image", escape)).problem(403, "E_ACCESSDENIED");
            assertThat(problem.getString("type")).as(escape).isEqualTo("urn:discagent:problem:image-not-allowed");
        }
        JsonObject missing = burn(a, new JsonObject().put("image", "missing.iso"))
                .problem(404, "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)");
        assertThat(missing.getString("type")).isEqualTo("urn:discagent:problem:image-not-found");
        assertThat(missing.getString("hresult")).isEqualTo("0x80070002");
        // whether a file outside the directory exists is not told
        burn(a, new JsonObject().put("image", "../missing.iso")).problem(403, "E_ACCESSDENIED");
        burn(a, new JsonObject().put("image", temp.resolve("missing.iso").toString())).problem(403, "E_ACCESSDENIED");

        // a link that stays inside the directory is burned as its target
        image("real.iso", 8);
        Files.createSymbolicLink(images.resolve("sub/alias.iso"), images.resolve("real.iso"));
        Reply started = burn(a, new JsonObject().put("image", "sub/alias.iso"));
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        assertThat(started.json().getString("image")).isEqualTo(images.resolve("real.iso").toRealPath().toString());
        assertThat(awaitEnd(started.json().getString("burnId")).getString("state")).isEqualTo("SUCCEEDED");
        TestService.eventually(() -> t.lock("sim-0").getInteger("count") == 1);
    }

    @Test
    void badBurnRequestsAreTypedProblems() throws Exception {
        image("disc.iso", 16);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        burn(a, new JsonObject()).problem(400, "E_INVALIDARG");
        burn(a, new JsonObject().put("image", "disc.iso").put("verify", "yes")).problem(400, "E_INVALIDARG");
        burn(a, new JsonObject().put("image", "disc.iso").put("writeSpeedKBps", -1)).problem(400, "E_INVALIDARG");
        burn(a, new JsonObject().put("image", "disc.iso").put("colour", "red")).problem(400, "E_INVALIDARG");
        t.get("/api/v1/burns/b-999").problem(404, "E_INVALIDARG");
        t.post("/api/v1/burns/b-999/cancel", new JsonObject().put("sessionId", a.id()), "X-Session-Token", a.token())
                .problem(404, "E_INVALIDARG");
        assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(1);
    }

    @Test
    void withoutABurnDirectoryTheServiceBurnsNothing() throws Exception {
        t.close();
        t = TestService.start();
        image("disc.iso", 16);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        JsonObject problem = burn(a, new JsonObject().put("image", images.resolve("disc.iso").toString()))
                .problem(403, "E_ACCESSDENIED");
        assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:image-not-allowed");
        assertThat(problem.getString("detail")).contains("--burn-directory");
    }

    private Reply burn(Session session, JsonObject request) {
        return t.post("/api/v1/recorders/sim-0/burns", request.copy().put("sessionId", session.id()),
                "X-Session-Token", session.token());
    }

    /** Writes an image of {@code sectors} 2048-byte sectors of seeded random bytes into the burn directory. */
    private byte[] image(String name, int sectors) throws IOException {
        byte[] content = new byte[sectors * 2048];
        new Random(name.hashCode()).nextBytes(content);
        Files.write(images.resolve(name), content);
        return content;
    }

    private JsonObject progressOf(String id) {
        JsonObject progress = t.get("/api/v1/burns/" + id).json().getJsonObject("progress");
        return progress == null ? new JsonObject() : progress;
    }

    /** Polls {@code GET /api/v1/burns/{id}} until the burn has ended. */
    private JsonObject awaitEnd(String id) {
        JsonObject[] last = new JsonObject[1];
        TestService.eventually(() -> {
            Reply reply = t.get("/api/v1/burns/" + id);
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            last[0] = reply.json();
            return !"RUNNING".equals(last[0].getString("state"));
        });
        return last[0];
    }

    /** The next {@code burn} event of the stream with this outcome (other frames skipped). */
    private static Frame burnFrame(SseClient sse, String outcome) {
        long deadline = System.nanoTime() + TestService.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Frame frame = sse.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (frame.event().equals("burn") && outcome.equals(frame.data().getString("outcome"))) {
                return frame;
            }
        }
        throw new AssertionError("no burn event " + outcome);
    }

    private static String sha256(byte[] content) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
