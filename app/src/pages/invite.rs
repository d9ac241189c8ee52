//! Accepting a caregiver invitation: the link a clinician gave the family;
//! choosing a user name and password makes the account, signed in.

#[cfg(feature = "hydrate")]
use crate::session;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let (username, password, again) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let error = RwSignal::new(None::<String>);
    let submit = move || {
        if password.get_untracked() != again.get_untracked() {
            error.set(Some("The two passwords differ.".into()));
            return;
        }
        let token = params.read_untracked().get("token").unwrap_or_default();
        #[cfg(feature = "hydrate")]
        {
            let body = serde_json::json!({ "token": token, "username": username.get_untracked(), "password": password.get_untracked() });
            leptos::task::spawn_local(async move {
                match session::send_json("POST", "/api/invitations/accept", &body, "").await {
                    Ok(_) => {
                        crate::offline::forget().await;
                        session::go("/family");
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = token;
    };
    view! {
        <section class="signin family" data-testid="invite">
            <h1>"Welcome to Vigil"</h1>
            <p>"A nurse has invited you to follow your relative's vital signs. Choose a user name and a password (at least 12 characters) to make your account."</p>
            <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label>"User name"
                    <input data-testid="invite-username" autocomplete="username" required=true
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label>"Password"
                    <input data-testid="invite-password" type="password" autocomplete="new-password" required=true
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <label>"Password again"
                    <input data-testid="invite-password-again" type="password" autocomplete="new-password" required=true
                        prop:value=move || again.get() on:input=move |ev| again.set(event_target_value(&ev))/>
                </label>
                <button data-testid="invite-submit" type="submit">"Make my account"</button>
                <p class="notice" role="alert" data-testid="invite-error">{move || error.get().unwrap_or_default()}</p>
            </form>
        </section>
    }
}
