package io.discagent.service.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code discagent completion}: the script picocli writes completes commands and options in a real bash. */
class CompletionTests {

    @TempDir
    Path dir;

    private String complete(Path script, String line) throws IOException, InterruptedException {
        String words = line.endsWith(" ") ? line + "''" : line;
        Process bash = new ProcessBuilder("bash", "-c", "source " + script + " 2>/dev/null; COMP_WORDS=(" + words
                + "); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; "
                + "_complete_discagent 2>/dev/null; echo \"${COMPREPLY[@]}\"").redirectErrorStream(true).start();
        assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void theScriptCompletesCommandsAndTheDerivedOptionsOfServe() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is not installed");
        StringWriter out = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter())).execute("completion");
        assertThat(code).isZero();
        Path script = Files.writeString(dir.resolve("discagent-completion.bash"), out.toString());
        assertThat(complete(script, "discagent ser")).isEqualTo("serve");
        assertThat(complete(script, "discagent serve --max-w")).isEqualTo("--max-wait");
        assertThat(complete(script, "discagent serve --log-f")).isEqualTo("--log-format");
        assertThat(complete(script, "discagent exec --recor")).isEqualTo("--recorder");
        assertThat(complete(script, "discagent ")).contains("acquire", "completion", "exec", "watch");
    }
}
