@echo off
rem discagent for Windows: runs discagent.jar (beside this script) with java from JAVA_HOME, else the PATH.
rem   discagent serve --demo          discagent list          discagent --help
rem DISCAGENT_JAVA_OPTS adds JVM options (e.g. -Xmx64m). The exit code is discagent's.
setlocal
set "DISCAGENT_JAVA=java"
if defined JAVA_HOME set "DISCAGENT_JAVA=%JAVA_HOME%\bin\java.exe"
"%DISCAGENT_JAVA%" %DISCAGENT_JAVA_OPTS% -jar "%~dp0discagent.jar" %*
exit /b %ERRORLEVEL%
