#!/bin/bash
# Debian postrm of the Hypergolix deb. electron-builder passes it to fpm as --after-remove after
# replacing the "executable" and "sanitizedProductName" macros (see after-install.sh). electron-builder's default with the
# launcher as the registered alternative (see after-install.sh). User data (~/.hypergolix, a
# server's /var/lib/hypergolix) is never touched.

launcher='/opt/${sanitizedProductName}/resources/bin/${executable}'

# Delete the link to the launcher. update-alternatives --remove takes the registered target.
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' "$launcher" || true
    # A link made without update-alternatives (its fallback in after-install.sh)
    if [ -L '/usr/bin/${executable}' ] && [ "`readlink '/usr/bin/${executable}'`" = "$launcher" ]; then
        rm -f '/usr/bin/${executable}'
    fi
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'

# Remove and unload the AppArmor profile.
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi
