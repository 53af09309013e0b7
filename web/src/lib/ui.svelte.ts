// Small UI state shared between screens: the sidebar drawer (narrow screens).
class Ui {
  drawerOpen = $state(false);
}

export const ui = new Ui();
