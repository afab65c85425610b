package io.discagent.agent.backend.windows;

import com.sun.jna.platform.win32.COM.util.IRawDispatchHandle;
import com.sun.jna.platform.win32.COM.util.IUnknown;
import com.sun.jna.platform.win32.COM.util.ProxyObject;
import com.sun.jna.platform.win32.COM.util.annotation.ComInterface;
import com.sun.jna.platform.win32.COM.util.annotation.ComMethod;
import com.sun.jna.platform.win32.COM.util.annotation.ComObject;
import com.sun.jna.platform.win32.COM.util.annotation.ComProperty;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.jspecify.annotations.Nullable;

/**
 * IMAPI2's two dual interfaces as jna-platform {@code COM.util} declarations, calling every member through
 * {@code IDispatch::Invoke} with the DISPID given here. This was the binding until issue 21; it is kept on the test
 * side only: the conformance test checks its DISPIDs against the reference, and a real-Windows probe
 * ({@code RealWindowsObservationsTests#theVtableAndIDispatchAgreeOnARefusal}) compares a refusal through Invoke with
 * the same refusal through the vtable, which the backend now uses (jna-platform's proxies leak a BSTR and the
 * EXCEPINFO strings on every failed call, and ignore deferred fill-in and {@code wCode}).
 */
final class JnaDispatch {

    private JnaDispatch() {
    }

    /** {@code MsftDiscMaster2}. */
    @ComObject(clsId = Imapi2Ids.CLSID_MSFT_DISC_MASTER2)
    interface MsftDiscMaster2 extends IDiscMaster2 {
    }

    /** {@code IDiscMaster2}. */
    @ComInterface(iid = Imapi2Ids.IID_IDISC_MASTER2)
    interface IDiscMaster2 extends IUnknown, IRawDispatchHandle {

        @ComProperty(dispId = Imapi2Ids.DISPID_MASTER_IS_SUPPORTED_ENVIRONMENT)
        @Nullable Boolean getIsSupportedEnvironment();

        @ComProperty(dispId = Imapi2Ids.DISPID_MASTER_COUNT)
        @Nullable Integer getCount();

        @ComProperty(dispId = Imapi2Ids.DISPID_MASTER_ITEM)
        @Nullable String getItem(int index);
    }

    /** {@code MsftDiscRecorder2}. */
    @ComObject(clsId = Imapi2Ids.CLSID_MSFT_DISC_RECORDER2)
    interface MsftDiscRecorder2 extends IDiscRecorder2 {
    }

    /** {@code IDiscRecorder2}. */
    @ComInterface(iid = Imapi2Ids.IID_IDISC_RECORDER2)
    interface IDiscRecorder2 extends IUnknown, IRawDispatchHandle {

        @ComMethod(dispId = Imapi2Ids.DISPID_RECORDER_INITIALIZE_DISC_RECORDER)
        void InitializeDiscRecorder(String recorderUniqueId);

        @ComMethod(dispId = Imapi2Ids.DISPID_RECORDER_ACQUIRE_EXCLUSIVE_ACCESS)
        void AcquireExclusiveAccess(boolean force, String clientName);

        @ComMethod(dispId = Imapi2Ids.DISPID_RECORDER_RELEASE_EXCLUSIVE_ACCESS)
        void ReleaseExclusiveAccess();

        @ComProperty(dispId = Imapi2Ids.DISPID_RECORDER_EXCLUSIVE_ACCESS_OWNER)
        @Nullable String getExclusiveAccessOwner();

        @ComProperty(dispId = Imapi2Ids.DISPID_RECORDER_VENDOR_ID)
        @Nullable String getVendorId();

        @ComProperty(dispId = Imapi2Ids.DISPID_RECORDER_PRODUCT_ID)
        @Nullable String getProductId();

        @ComProperty(dispId = Imapi2Ids.DISPID_RECORDER_PRODUCT_REVISION)
        @Nullable String getProductRevision();

        /** A {@code SAFEARRAY} of {@code VARIANT}s holding BSTRs. */
        @ComProperty(dispId = Imapi2Ids.DISPID_RECORDER_VOLUME_PATH_NAMES)
        @Nullable Object getVolumePathNames();
    }

    /** Releases a proxy's COM reference now (instead of leaving it to a finalizer on the wrong thread). */
    static void dispose(Object proxy) {
        InvocationHandler handler = Proxy.getInvocationHandler(proxy);
        if (handler instanceof ProxyObject) {
            ((ProxyObject) handler).dispose();
        }
    }
}
