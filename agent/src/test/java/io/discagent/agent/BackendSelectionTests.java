package io.discagent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.internal.BackendSelector;
import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackendProvider;
import io.discagent.api.error.InvalidArgumentException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackendSelectionTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void theSimulatedBackendIsFoundByServiceLoaderAndComesLastInAuto() {
        assertThat(BackendSelector.providers()).extracting(RecorderBackendProvider::name).contains("simulated");
        var candidates = BackendSelector.candidates("auto", BackendConfig.EMPTY);
        assertThat(candidates).isNotEmpty();
        assertThat(candidates.get(candidates.size() - 1).name()).isEqualTo("simulated");
        assertThat(candidates.subList(0, candidates.size() - 1)).allSatisfy(c -> assertThat(c.real()).isTrue());
    }

    @Test
    void autoFallsBackToTheSimulatedDefaultWithItsConfiguredRecorders() {
        DiscAgent agent = DiscAgent.start(AgentOptions.builder().backendProperty("simulated.recorders", "3")
                .backendProperty("linux.devices", "").build()).block(WAIT);
        try {
            if (agent.backendName().equals("simulated")) {
                assertThat(agent.recorders().block(WAIT)).hasSize(3);
                assertThat(agent.simulator()).isPresent();
            } else {
                // a machine with a real drive: auto keeps the real backend
                assertThat(agent.recorders().block(WAIT)).isNotEmpty();
                assertThat(agent.simulator()).isEmpty();
            }
        } finally {
            agent.close().block(WAIT);
        }
    }

    @Test
    void aNamedBackendIsUsedAsIs() {
        DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend("simulated").build()).block(WAIT);
        try {
            assertThat(agent.backendName()).isEqualTo("simulated");
            assertThat(agent.recorders().block(WAIT)).hasSize(2);
        } finally {
            agent.close().block(WAIT);
        }
    }

    @Test
    void anUnknownBackendNameIsRefusedWithTheKnownNames() {
        assertThatThrownBy(() -> AgentOptions.builder().backend("floppy"))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("floppy")
                .hasMessageContaining("auto, simulated");
        assertThatThrownBy(() -> BackendSelector.candidates("floppy", BackendConfig.EMPTY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("floppy");
    }

    @Test
    void optionsRefuseNonsense() {
        assertThatThrownBy(() -> AgentOptions.builder().commandTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> AgentOptions.builder().pendingAcquireMaxCount(-1))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> AgentOptions.builder().eventBufferSize(0))
                .isInstanceOf(InvalidArgumentException.class);
    }
}
