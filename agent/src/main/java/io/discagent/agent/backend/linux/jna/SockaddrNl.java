package io.discagent.agent.backend.linux.jna;

import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/** {@code struct sockaddr_nl}: 12 bytes (reference linux.md 2.4). */
@FieldOrder({"nl_family", "nl_pad", "nl_pid", "nl_groups"})
public final class SockaddrNl extends Structure {

    public short nl_family;
    public short nl_pad;
    public int nl_pid;
    public int nl_groups;
}
