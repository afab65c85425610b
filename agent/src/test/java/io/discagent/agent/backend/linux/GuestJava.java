package io.discagent.agent.backend.linux;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a VM test runs a Java main class of this build inside the QEMU guest: a {@code run.sh} in the job share that
 * starts the host's JDK (the guest runs the host's root over 9p) on this test run's class path.
 */
public final class GuestJava {

    /** Where the guest mounts the job share. */
    public static final String GUEST_JOB = "/tmp/job";
    /**
     * Guest JVMs start about twice as fast under TCG without bytecode verification (the classes are our own build)
     * and without Vert.x's DNS resolver (the agent resolves no names).
     */
    static final String JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx192m "
            + "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote -Dvertx.disableDnsResolver=true";

    private GuestJava() {
    }

    /** Writes the job's {@code run.sh}: {@code main} with {@code args}, output to the guest's {@code out.log}. */
    static void writeRunScript(Path job, Class<?> main, String... args) throws IOException {
        writeRunScript(job, "", main, args);
    }

    /** Writes the job's {@code run.sh}: the shell lines of {@code prelude}, then {@code main} with {@code args}. */
    static void writeRunScript(Path job, String prelude, Class<?> main, String... args) throws IOException {
        Files.writeString(job.resolve("run.sh"), "#!/bin/sh\n" + prelude
                + "export JAVA_TOOL_OPTIONS='" + JVM_OPTIONS + "'\n"
                + "exec " + ChildJvm.java() + " -cp " + classpath(job) + " " + main.getName()
                + (args.length == 0 ? "" : " " + String.join(" ", args)) + "\n");
    }

    /**
     * The guest's class path: class directories are packed into jars in the job share, jars under /tmp (which the
     * guest cannot see) copied there; other jars are read from the host root the guest mounts.
     */
    static String classpath(Path job) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry).toAbsolutePath();
            if (!Files.exists(source)) {
                continue;
            }
            if (Files.isDirectory(source)) {
                String name = "cp/" + (n++) + "-" + source.getFileName() + ".jar";
                TestFiles.jar(source, job.resolve(name)); // one file: no 9p lookup per class
                entries.add(GUEST_JOB + "/" + name);
            } else if (source.startsWith("/tmp")) {
                String name = "cp/" + (n++) + "-" + source.getFileName();
                TestFiles.copyTree(source, job.resolve(name));
                entries.add(GUEST_JOB + "/" + name);
            } else {
                entries.add(source.toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
