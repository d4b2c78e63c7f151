/** Nest injection token for the StudioService. */
export const STUDIO_SERVICE = Symbol('StudioService');

/** Nest injection token for the FormOverlayStore the form schema route layers forms with. */
export const FORM_OVERLAYS = Symbol('FormOverlays');
