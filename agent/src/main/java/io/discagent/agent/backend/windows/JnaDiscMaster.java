package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMUtils;
import com.sun.jna.platform.win32.COM.ConnectionPoint;
import com.sun.jna.platform.win32.COM.ConnectionPointContainer;
import com.sun.jna.platform.win32.COM.IDispatch;
import com.sun.jna.platform.win32.COM.IUnknownCallback;
import com.sun.jna.platform.win32.Guid.IID;
import com.sun.jna.platform.win32.Guid.REFIID;
import com.sun.jna.platform.win32.WinDef.DWORD;
import com.sun.jna.platform.win32.WinDef.DWORDByReference;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.EventConnection;

/**
 * {@code IDiscMaster2} through jna-platform (Windows only). The event connection is made with the raw
 * {@code IConnectionPointContainer}/{@code IConnectionPoint} vtables, handing our own {@link ComEventSink} to
 * {@code Advise}. Used only on the control worker, which created it (its apartment).
 */
final class JnaDiscMaster implements DiscMaster {

    private final JnaDispatch.MsftDiscMaster2 master;

    JnaDiscMaster(JnaDispatch.MsftDiscMaster2 master) {
        this.master = master;
    }

    @Override
    public boolean isSupportedEnvironment() {
        return Boolean.TRUE.equals(master.getIsSupportedEnvironment());
    }

    @Override
    public int count() {
        Integer count = master.getCount();
        return count == null ? 0 : count;
    }

    @Override
    public String item(int index) {
        String id = master.getItem(index);
        return id == null ? "" : id;
    }

    @Override
    public EventConnection advise(ComEventSink sink) {
        IDispatch dispatch = master.getRawDispatch();
        PointerByReference found = new PointerByReference();
        COMUtils.checkRC(dispatch.QueryInterface(refiid(Imapi2Ids.IID_ICONNECTION_POINT_CONTAINER), found));
        ConnectionPointContainer container = new ConnectionPointContainer(found.getValue());
        try {
            PointerByReference point = new PointerByReference();
            COMUtils.checkRC(container.FindConnectionPoint(refiid(Imapi2Ids.IID_DDISC_MASTER2_EVENTS), point));
            ConnectionPoint connectionPoint = new ConnectionPoint(point.getValue());
            DWORDByReference cookie = new DWORDByReference();
            HRESULT advised = connectionPoint.Advise(new SinkPointer(sink.pointer()), cookie);
            if (COMUtils.FAILED(advised)) {
                connectionPoint.Release();
                throw new COMException("IConnectionPoint::Advise(DDiscMaster2Events) failed", advised);
            }
            return new Connection(connectionPoint, cookie.getValue());
        } finally {
            container.Release();
        }
    }

    @Override
    public void release() {
        JnaDispatch.dispose(master);
    }

    private static REFIID refiid(String iid) {
        return new REFIID(new IID(iid));
    }

    /** An advised connection: the connection point and the cookie {@code Advise} returned. */
    private static final class Connection implements EventConnection {

        private final ConnectionPoint connectionPoint;
        private final DWORD cookie;

        Connection(ConnectionPoint connectionPoint, DWORD cookie) {
            this.connectionPoint = connectionPoint;
            this.cookie = cookie;
        }

        @Override
        public void unadvise() {
            try {
                COMUtils.checkRC(connectionPoint.Unadvise(cookie));
            } finally {
                connectionPoint.Release();
            }
        }
    }

    /**
     * Hands our sink's interface pointer to {@code ConnectionPoint.Advise}, which reads only {@link #getPointer()};
     * the connection point then calls the sink's own vtable natively.
     */
    private static final class SinkPointer implements IUnknownCallback {

        private final Pointer pointer;

        SinkPointer(Pointer pointer) {
            this.pointer = pointer;
        }

        @Override
        public Pointer getPointer() {
            return pointer;
        }

        @Override
        public HRESULT QueryInterface(REFIID riid, PointerByReference ppvObject) {
            throw new UnsupportedOperationException("the connection point calls the sink natively");
        }

        @Override
        public int AddRef() {
            throw new UnsupportedOperationException("the connection point calls the sink natively");
        }

        @Override
        public int Release() {
            throw new UnsupportedOperationException("the connection point calls the sink natively");
        }
    }
}
