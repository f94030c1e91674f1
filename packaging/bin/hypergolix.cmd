@echo off
rem The `hypergolix` command of an installed Hypergolix on Windows: the bundled CLI,
rem resources\app\bin\hypergolix.js, run by the bundled Electron as plain Node
rem (ELECTRON_RUN_AS_NODE=1), so the CLI and the desktop app are one installation. The installer
rem puts this folder (resources\bin) on the user's PATH (packaging/windows/installer.nsh).
setlocal
set "ELECTRON_RUN_AS_NODE=1"
"%~dp0..\..\Hypergolix.exe" "%~dp0..\app\bin\hypergolix.js" %*
exit /b %ERRORLEVEL%
