package io.discagent.agent.backend.windows;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The backend contract on this machine's IMAPI2, through the agent's normal backend selection ({@code windows}, found
 * by ServiceLoader). Runs only with {@code -Preal-windows}, on Windows, with at least one recorder; otherwise it is
 * skipped.
 */
@Tag(RealWindows.TAG)
class RealWindowsBackendContractTests extends WindowsBackendContract {

    @BeforeEach
    void onWindows() {
        RealWindows.assumeWindows();
    }

    @Override
    protected DiscAgent startAgent(String process) {
        return DiscAgent.start(AgentOptions.builder().backend("windows").build()).block(BLOCK);
    }

    @Override
    protected void observe(String question, Object answer) {
        RealWindows.observe(question, answer);
    }
}
