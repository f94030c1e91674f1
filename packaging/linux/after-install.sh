#!/bin/bash
# Debian postinst of the Hypergolix deb. electron-builder passes it to fpm as --after-install
# after replacing two macros, "executable" (hypergolix) and "sanitizedProductName" (Hypergolix),
# written as a dollar sign and the name in braces; any other name in braces fails the build.
# Shell variables here are written without braces. It is electron-builder's default after-install script with one
# change: /usr/bin/hypergolix is the CLI launcher (resources/bin/hypergolix, which runs the
# bundled CLI with the bundled Electron as Node), not the Electron binary. The desktop entry
# starts the app itself (/opt/Hypergolix/hypergolix).

launcher='/opt/${sanitizedProductName}/resources/bin/${executable}'
chmod 0755 "$launcher" || true

if type update-alternatives >/dev/null 2>&1; then
    # Remove a previous link that does not use update-alternatives
    if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' "$launcher" 100 || ln -sf "$launcher" '/usr/bin/${executable}'
else
    ln -sf "$launcher" '/usr/bin/${executable}'
fi

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

# AppArmor profile (Ubuntu 24.04+ restricts unprivileged user namespaces without one), installed
# only where this AppArmor understands it, as electron-builder's default script does.
if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE='/opt/${sanitizedProductName}/resources/apparmor-profile'
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi
