; Included by electron-builder's NSIS installer (nsis.include in electron-builder.yml).
; Puts the `hypergolix` command on the PATH: resources\bin (holding hypergolix.cmd, which runs
; the bundled CLI with the bundled Electron as Node) is added to the user's PATH
; (HKCU\Environment\Path) on install and removed on uninstall. The install is per user, so no
; machine-wide setting is touched. A PATH too long for NSIS's string buffer is left as it is,
; because writing back a truncated value would lose entries; the installer log then says so
; and docs/packaging.md says how to add the folder by hand.
; Not verifiable on the Linux machine this was written on: check it on Windows before a release.

!include "WinMessages.nsh"
!include "WordFunc.nsh"

!define HGX_BIN "$INSTDIR\resources\bin"
; Leave room for the entry itself and a separator.
!define /math HGX_PATH_ROOM ${NSIS_MAX_STRLEN} - 300
; A value this long may have been cut when read: never written back.
!define /math HGX_PATH_FULL ${NSIS_MAX_STRLEN} - 2

!macro customInstall
  ReadRegStr $R0 HKCU "Environment" "Path"
  StrLen $R1 $R0
  IntCmp $R1 ${HGX_PATH_ROOM} hgx_path_too_long hgx_path_fits hgx_path_too_long
  hgx_path_fits:
    ; Already there (a reinstall or an update)?
    ${WordReplace} "$R0" "${HGX_BIN}" "" "+" $R2
    StrCmp $R2 $R0 0 hgx_path_done
    StrCmp $R0 "" 0 +3
      StrCpy $R0 "${HGX_BIN}"
      Goto +2
      StrCpy $R0 "$R0;${HGX_BIN}"
    WriteRegExpandStr HKCU "Environment" "Path" "$R0"
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
    DetailPrint "Added ${HGX_BIN} to your PATH: the hypergolix command works in new terminals"
    Goto hgx_path_done
  hgx_path_too_long:
    DetailPrint "Your PATH is too long to change safely; add ${HGX_BIN} to it by hand to use the hypergolix command"
  hgx_path_done:
!macroend

!macro customUnInstall
  ReadRegStr $R0 HKCU "Environment" "Path"
  StrLen $R1 $R0
  IntCmp $R1 ${HGX_PATH_FULL} hgx_unpath_done 0 hgx_unpath_done
  ${WordReplace} "$R0" ";${HGX_BIN}" "" "+" $R2
  ${WordReplace} "$R2" "${HGX_BIN};" "" "+" $R2
  StrCmp $R2 "${HGX_BIN}" 0 +2
    StrCpy $R2 ""
  StrCmp $R2 $R0 hgx_unpath_done
  WriteRegExpandStr HKCU "Environment" "Path" "$R2"
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
  hgx_unpath_done:
!macroend
