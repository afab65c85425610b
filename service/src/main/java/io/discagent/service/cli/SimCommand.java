package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code discagent sim ...}: control the simulated backend of a running agent. */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = "Control the simulated backend: add/remove recorders, external locks, faults.",
        subcommands = {SimCommand.ListDevices.class, SimCommand.Add.class, SimCommand.Remove.class,
                SimCommand.Lock.class, SimCommand.Unlock.class, SimCommand.Fail.class, SimCommand.Hang.class,
                SimCommand.ReleaseHangs.class, SimCommand.Latency.class})
final class SimCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitCode.USAGE.code();
    }

    /** A sim subcommand: client options plus the admin token. */
    abstract static class SimSubcommand extends ClientCommand {

        @Option(names = "--admin-token",
                description = "The admin token (needed when the agent is bound to a non-loopback address; env "
                        + "DISCAGENT_ADMIN_TOKEN).")
        String adminToken;

        @Override
        int run(AgentClient client) {
            return sim(client.header("X-Admin-Token", adminToken));
        }

        abstract int sim(AgentClient client);

        static String path(String recorder, String rest) {
            return "/api/v1/sim/recorders/" + segment(recorder) + rest;
        }

        int done(String message) {
            out().println(message);
            return ExitCode.OK.code();
        }
    }

    /** The recorder parameter. */
    static final class RecorderParam {
        @Parameters(paramLabel = "RECORDER", description = "The recorder id, such as sim-0.")
        String id;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The simulated devices (JSON).")
    static final class ListDevices extends SimSubcommand {
        @Override
        int sim(AgentClient client) {
            return done(client.call("GET", "/api/v1/sim/recorders", null).encodePrettily());
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Plug in a simulated recorder.")
    static final class Add extends SimSubcommand {
        @Option(names = "--id", description = "Its id (default: the next free sim-N).")
        String id;

        @Override
        int sim(AgentClient client) {
            JsonObject body = id == null ? new JsonObject() : new JsonObject().put("id", id);
            return done("added " + client.call("POST", "/api/v1/sim/recorders", body).getString("id"));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Unplug a simulated recorder.")
    static final class Remove extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Override
        int sim(AgentClient client) {
            client.call("DELETE", path(recorder.id, ""), null);
            return done("removed " + recorder.id);
        }
    }

    @Command(name = "lock", mixinStandardHelpOptions = true,
            description = "Lock a recorder as another process would.")
    static final class Lock extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Option(names = "--owner", defaultValue = "another process", description = "The external owner's name.")
        String owner;

        @Override
        int sim(AgentClient client) {
            client.call("PUT", path(recorder.id, "/external-lock"), new JsonObject().put("owner", owner));
            return done("locked " + recorder.id + " as '" + owner + "'");
        }
    }

    @Command(name = "unlock", mixinStandardHelpOptions = true, description = "End an external lock.")
    static final class Unlock extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Override
        int sim(AgentClient client) {
            client.call("DELETE", path(recorder.id, "/external-lock"), null);
            return done("unlocked " + recorder.id);
        }
    }

    /** Options shared by fault injection. */
    static final class FaultOptions {
        @Option(names = "--operation", defaultValue = "ANY", description = "ACQUIRE, RELEASE, OWNER or ANY.")
        String operation;

        @Option(names = "--times", defaultValue = "1", description = "How many calls.")
        int times;
    }

    @Command(name = "fail", mixinStandardHelpOptions = true,
            description = "The next native calls fail with an HRESULT.")
    static final class Fail extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Mixin
        FaultOptions fault;

        @Option(names = "--hresult", required = true, description = "0xC0AA0210 or a name such as E_IMAPI_RECORDER_LOCKED.")
        String hresult;

        @Override
        int sim(AgentClient client) {
            client.call("POST", path(recorder.id, "/faults"), new JsonObject().put("kind", "fail")
                    .put("operation", fault.operation).put("times", fault.times).put("hresult", hresult));
            return done("the next " + fault.times + " " + fault.operation + " call(s) of " + recorder.id + " fail with "
                    + hresult);
        }
    }

    @Command(name = "hang", mixinStandardHelpOptions = true,
            description = "The next native calls hang until release-hangs.")
    static final class Hang extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Mixin
        FaultOptions fault;

        @Override
        int sim(AgentClient client) {
            client.call("POST", path(recorder.id, "/faults"), new JsonObject().put("kind", "hang")
                    .put("operation", fault.operation).put("times", fault.times));
            return done("the next " + fault.times + " " + fault.operation + " call(s) of " + recorder.id + " hang");
        }
    }

    @Command(name = "release-hangs", mixinStandardHelpOptions = true, description = "Let hung calls continue.")
    static final class ReleaseHangs extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Override
        int sim(AgentClient client) {
            client.call("POST", path(recorder.id, "/release-hangs"), null);
            return done("released the hung calls of " + recorder.id);
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true, description = "Every native call takes this long.")
    static final class Latency extends SimSubcommand {
        @Mixin
        RecorderParam recorder;

        @Option(names = "--millis", required = true, description = "Milliseconds (0 to 60000).")
        long millis;

        @Override
        int sim(AgentClient client) {
            client.call("PUT", path(recorder.id, "/latency"), new JsonObject().put("millis", millis));
            return done("native calls of " + recorder.id + " now take " + millis + " ms");
        }
    }
}
