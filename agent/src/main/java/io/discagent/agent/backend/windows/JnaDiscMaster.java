package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Guid.IID;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.ptr.ShortByReference;
import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.EventConnection;

/**
 * {@code IDiscMaster2} through its vtable, and the {@code DDiscMaster2Events} connection made with the raw
 * {@code IConnectionPointContainer}/{@code IConnectionPoint} vtables, handing our own {@link ComEventSink} to
 * {@code Advise}. Every method returns its HRESULT directly; every interface pointer we obtain is released on every
 * path, and every {@code [out]} BSTR is freed. Used only on the control worker, which created it (its apartment).
 */
final class JnaDiscMaster implements DiscMaster {

    private final Pointer master;
    private final OleStrings strings;
    private boolean released;

    /**
     * @param master an {@code IDiscMaster2} pointer whose reference this object now owns
     * @param strings the BSTR helper
     */
    JnaDiscMaster(Pointer master, OleStrings strings) {
        this.master = master;
        this.strings = strings;
    }

    @Override
    public boolean isSupportedEnvironment() {
        ShortByReference supported = new ShortByReference();
        int hr = ComVtable.call(master, Imapi2Vtables.MASTER_GET_IS_SUPPORTED_ENVIRONMENT, supported.getPointer());
        ComVtable.check(hr, Imapi2Call.IS_SUPPORTED_ENVIRONMENT);
        return supported.getValue() != Imapi2Vtables.VARIANT_FALSE;
    }

    @Override
    public int count() {
        IntByReference count = new IntByReference();
        ComVtable.check(ComVtable.call(master, Imapi2Vtables.MASTER_GET_COUNT, count.getPointer()), Imapi2Call.COUNT);
        return count.getValue();
    }

    @Override
    public String item(int index) {
        PointerByReference id = new PointerByReference();
        ComVtable.check(ComVtable.call(master, Imapi2Vtables.MASTER_GET_ITEM, index, id.getPointer()), Imapi2Call.ITEM);
        return strings.readAndFree(id.getValue());
    }

    /**
     * {@code QueryInterface(IID_IConnectionPointContainer)}, {@code FindConnectionPoint(IID_DDiscMaster2Events)},
     * {@code Advise(sink)}. The container is released before returning; the connection point is kept by the
     * connection for {@code Unadvise}, or released at once when {@code Advise} fails in any way.
     */
    @Override
    public EventConnection advise(ComEventSink sink) {
        PointerByReference containerRef = new PointerByReference();
        ComVtable.check(ComVtable.queryInterface(master, Imapi2Ids.IID_ICONNECTION_POINT_CONTAINER, containerRef),
                "QueryInterface(IConnectionPointContainer)");
        Pointer container = containerRef.getValue();
        try {
            IID events = new IID(Imapi2Ids.IID_DDISC_MASTER2_EVENTS);
            events.write();
            PointerByReference point = new PointerByReference();
            int found = ComVtable.call(container, Imapi2Vtables.CONTAINER_FIND_CONNECTION_POINT, events.getPointer(),
                    point.getPointer());
            ComVtable.check(found, "FindConnectionPoint(DDiscMaster2Events)");
            Pointer connectionPoint = point.getValue();
            boolean advised = false;
            try {
                IntByReference cookie = new IntByReference();
                ComVtable.check(ComVtable.call(connectionPoint, Imapi2Vtables.POINT_ADVISE, sink.pointer(),
                        cookie.getPointer()), Imapi2Call.ADVISE);
                advised = true;
                return new Connection(connectionPoint, cookie.getValue());
            } finally {
                if (!advised) {
                    ComVtable.release(connectionPoint);
                }
            }
        } finally {
            ComVtable.release(container);
        }
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            ComVtable.release(master);
        }
    }

    /** An advised connection: the connection point (whose reference it owns) and the cookie {@code Advise} gave. */
    private static final class Connection implements EventConnection {

        private final Pointer connectionPoint;
        private final int cookie;

        Connection(Pointer connectionPoint, int cookie) {
            this.connectionPoint = connectionPoint;
            this.cookie = cookie;
        }

        @Override
        public void unadvise() {
            try {
                int hr = ComVtable.call(connectionPoint, Imapi2Vtables.POINT_UNADVISE, cookie);
                ComVtable.check(hr, Imapi2Call.UNADVISE);
            } finally {
                ComVtable.release(connectionPoint);
            }
        }
    }
}
