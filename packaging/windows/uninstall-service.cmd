@echo off
rem Stops and removes the Windows service "discagent" (run as Administrator). The configuration and the logs in
rem %ProgramData%\discagent stay; delete that folder to remove them too.
setlocal
"%~dp0discagent-service.exe" //SS//discagent
"%~dp0discagent-service.exe" //DS//discagent
