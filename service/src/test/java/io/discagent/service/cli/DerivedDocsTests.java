package io.discagent.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.Setting;
import io.discagent.service.ServiceConfig;
import io.discagent.service.problem.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What is derived stays derived: {@code serve}'s options come from the settings lists, and the tables of
 * docs/service.md are the generated ones (the failure message carries the table to paste).
 */
class DerivedDocsTests {

    private static String docs() throws IOException {
        Path docs = Path.of("../docs/service.md");
        return Files.readString(Files.exists(docs) ? docs : Path.of("docs/service.md"));
    }

    private static String block(String text, String name) {
        String begin = "<!-- " + name + ": generated; DerivedDocsTests checks it -->\n";
        String end = "<!-- /" + name + " -->";
        assertThat(text).contains(begin).contains(end);
        return text.substring(text.indexOf(begin) + begin.length(), text.indexOf(end));
    }

    @Test
    void serveHasAnOptionForEverySettingOfTheAgentAndTheService() {
        CommandLine serve = Main.commandLine("serve").getSubcommands().get("serve");
        for (Setting<?, ?, ?> s : AgentOptions.settings()) {
            assertThat(serve.getCommandSpec().findOption("--" + s.kebabName())).as(s.name()).isNotNull();
        }
        for (Setting<?, ?, ?> s : ServiceConfig.settings()) {
            assertThat(serve.getCommandSpec().findOption("--" + s.kebabName())).as(s.name()).isNotNull();
        }
        assertThat(Setting.text(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(ServeCommand.userFacing("sessionTtl must be positive: PT0S")).isEqualTo(
                "--session-ttl must be positive: 0");
    }

    @Test
    void theOptionsTableOfTheDocsIsTheSettingsTable() throws IOException {
        assertThat(block(docs(), "serve-options")).as("paste:\n" + ServeCommand.optionsTable())
                .isEqualTo(ServeCommand.optionsTable());
    }

    @Test
    void theExitCodeTableOfTheDocsIsTheExitCodes() throws IOException {
        assertThat(block(docs(), "exit-codes")).as("paste:\n" + ExitCode.markdownTable())
                .isEqualTo(ExitCode.markdownTable());
    }
}
