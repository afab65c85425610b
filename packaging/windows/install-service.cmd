@echo off
rem Installs discagent as the Windows service "discagent" (run as Administrator, from the unpacked folder).
rem The service host is Apache Commons Daemon's procrun (discagent-service.exe, from Apache Tomcat's Windows
rem distribution on Maven Central): it loads the JVM of JAVA_HOME (else the one registered by the installed JDK) into
rem the service and calls io.discagent.service.cli.WindowsService start/stop. Configuration:
rem %ProgramData%\discagent\discagent.properties (created here from the template if missing); logs: the
rem service's output in %ProgramData%\discagent\logs. The service runs as LocalService: it needs no more.
setlocal
set "HERE=%~dp0"
set "DATA=%ProgramData%\discagent"
if not exist "%DATA%\logs" mkdir "%DATA%\logs"
if not exist "%DATA%\discagent.properties" copy "%HERE%discagent.properties" "%DATA%\discagent.properties" >nul
set "JVM=auto"
if defined JAVA_HOME set "JVM=%JAVA_HOME%\bin\server\jvm.dll"
"%HERE%discagent-service.exe" //IS//discagent ^
    --DisplayName="discagent" ^
    --Description="Exclusive, named, counted access to optical disc recorders (IMAPI2 semantics), with a local HTTP API" ^
    --Startup=auto ^
    --ServiceUser="NT AUTHORITY\LocalService" ^
    --Jvm="%JVM%" ^
    --Classpath="%HERE%discagent.jar" ^
    --StartMode=jvm ^
    --StartClass=io.discagent.service.cli.WindowsService ^
    --StartMethod=start ^
    --StartParams=serve;--config;%DATA%\discagent.properties ^
    --StopMode=jvm ^
    --StopClass=io.discagent.service.cli.WindowsService ^
    --StopMethod=stop ^
    --StopTimeout=30 ^
    --LogPath="%DATA%\logs" ^
    --LogPrefix=procrun ^
    --StdOutput=auto ^
    --StdError=auto
if errorlevel 1 exit /b %ERRORLEVEL%
rem the configuration may hold the access token: Administrators and the service only
icacls "%DATA%\discagent.properties" /inheritance:r /grant:r Administrators:F "NT AUTHORITY\LocalService":R SYSTEM:F >nul
sc.exe start discagent
