package io.discagent.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How {@link Main} builds its command line for the word it is invoked with. */
class MainTests {

    private static final String[] ALL = {"serve", "list", "acquire", "release", "owner", "exec", "burn", "watch", "sim",
        "completion", "help"};

    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt() {
        assertThat(Main.commandLine("serve").getSubcommands()).containsOnlyKeys("serve");
        assertThat(Main.commandLine("watch").getSubcommands()).containsOnlyKeys("watch");
        assertThat(Main.commandLine("exec").getSubcommands().get("exec").isStopAtPositional()).isTrue();
    }

    @Test
    void helpAnOptionOrAnUnknownWordBuildsEverySubcommandInHelpOrder() {
        for (String first : new String[] {"help", "--help", "-V", "serv", ""}) {
            assertThat(Main.commandLine(first).getSubcommands().keySet()).as(first).containsExactly(ALL);
        }
    }
}
