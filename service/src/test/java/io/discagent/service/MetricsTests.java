package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.DiscAgent;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * {@code /metrics}: the JVM and process binders, the build-info gauge, and session and acquire counts that include
 * in-process (library) clients of the agent, not only HTTP ones.
 */
class MetricsTests {

    private static final RecorderId SIM0 = RecorderId.of("sim-0");
    private static final RecorderId SIM1 = RecorderId.of("sim-1");

    @Test
    void theJvmTheProcessAndTheBuildAreMeasured() {
        try (TestService t = TestService.start()) {
            String text = t.get("/metrics").body();
            assertThat(text).contains("jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads ",
                    "jvm_classes_loaded_classes ", "jvm_info{", "process_cpu_usage ", "process_uptime_seconds ",
                    "process_files_open_files ", "system_cpu_count ");
            Matcher build = Pattern.compile("(?m)^discagent_build_info\\{java=\"([^\"]+)\",version=\"([^\"]+)\"} 1(\\.0)?$")
                    .matcher(text);
            assertThat(build.find()).as(text).isTrue();
            assertThat(build.group(1)).isEqualTo(Runtime.version().toString());
            assertThat(build.group(2)).as("the version the build filled in").matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        }
    }

    @Test
    void sessionsAndAcquiresOfInProcessClientsCountLikeThoseOfHttpClients() {
        try (TestService t = TestService.start()) {
            DiscAgent agent = t.service.agent();
            ClientSession library = agent.openSession("Library Burner").block(TestService.TIMEOUT);
            library.acquire(SIM0).block(TestService.TIMEOUT);
            Session http = t.open("HTTP Kiosk");
            t.acquire(http, "sim-1");
            library.acquire(SIM1).onErrorResume(e -> Mono.empty()).block(TestService.TIMEOUT); // locked by the kiosk
            Disposable gaveUp = library.acquire(SIM1, AcquireOptions.waitIndefinitely()).subscribe();
            TestService.eventually(() -> agent.statistics().waiting() == 1);
            gaveUp.dispose();
            TestService.eventually(() -> agent.statistics().acquiresCancelled() == 1);

            String text = t.get("/metrics").body();
            assertThat(text).contains("discagent_sessions_open 2.0", "discagent_sessions_opened_total 2.0",
                    "discagent_acquires_total{outcome=\"granted\"} 2.0",
                    "discagent_acquires_total{outcome=\"E_IMAPI_RECORDER_LOCKED\"} 1.0",
                    "discagent_acquires_total{outcome=\"cancelled\"} 1.0",
                    "discagent_recorders_held 2.0");

            library.close().block(TestService.TIMEOUT);
            assertThat(t.get("/metrics").body()).contains("discagent_sessions_open 1.0",
                    "discagent_sessions_opened_total 2.0");
        }
    }

    @Test
    void recordersHeldOutsideTheAgentAreCounted() {
        try (TestService t = TestService.start()) {
            assertThat(t.get("/metrics").body()).contains("discagent_recorders_external 0.0");
            t.sim().lockExternally(SIM0, "wodim (pid 4242)");
            t.get("/api/v1/recorders/sim-0/owner"); // asks the backend at once
            TestService.eventually(() -> t.get("/metrics").body().contains("discagent_recorders_external 1.0"));
            t.sim().unlockExternally(SIM0);
            t.get("/api/v1/recorders/sim-0/owner");
            TestService.eventually(() -> t.get("/metrics").body().contains("discagent_recorders_external 0.0"));
        }
    }
}
