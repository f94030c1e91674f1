/**
 * Electron's Tray and Menu behind the TrayPort that setupTray drives (tray.ts). Only the
 * translation lives here; every decision is in tray.ts and tray-model.ts, tested in plain Node.
 */
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { TrayPort } from './tray.js';
import type { MenuItemId, MenuItemModel } from './tray-model.js';

function menuTemplate(items: MenuItemModel[], onClick: (id: MenuItemId, checked: boolean) => void): MenuItemConstructorOptions[] {
  return items.map((i): MenuItemConstructorOptions =>
    i.type === 'separator'
      ? { type: 'separator' }
      : {
          id: i.id,
          label: i.label,
          enabled: i.enabled,
          type: i.type,
          ...(i.type === 'checkbox' ? { checked: i.checked } : {}),
          click: (item) => onClick(i.id, item.checked),
        },
  );
}

/** A tray icon showing `iconFile` first. */
export function electronTray(iconFile: string): TrayPort {
  const tray = new Tray(nativeImage.createFromPath(iconFile));
  return {
    setImage: (file) => tray.setImage(nativeImage.createFromPath(file)),
    setToolTip: (text) => tray.setToolTip(text),
    setMenu: (items, onClick) => tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(items, onClick))),
    onClick: (listener) => tray.on('click', listener),
    destroy: () => tray.destroy(),
  };
}

/** The same menu as the window's application menu, for desktops without a tray host. */
export function applicationMenu(items: MenuItemModel[], onClick: (id: MenuItemId, checked: boolean) => void): Menu {
  return Menu.buildFromTemplate([{ label: 'Hypergolix', submenu: menuTemplate(items, onClick) }]);
}
