"""The words of the contract pages: labels of statuses, actions, changes and options, and their
French text. Messages from the services stay in English (see docs/back-office.md)."""

from __future__ import annotations

STATUS_LABELS = {
    "draft": "Draft",
    "pending": "Pending",
    "active": "Active",
    "suspended": "Suspended",
    "terminated": "Terminated",
}
STATUS_BADGES = {"active": "ok", "terminated": "muted", "suspended": "bad"}
ACTION_LABELS = {
    "submit": "Submit",
    "activate": "Activate",
    "suspend": "Suspend",
    "resume": "Resume",
    "terminate": "Terminate…",
}
TRANSITION_LABELS = {
    "submit": "Submitted",
    "activate": "Activated",
    "suspend": "Suspended",
    "resume": "Resumed",
    "terminate": "Terminated",
}
AMENDMENT_STATUS_LABELS = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "applied": "Applied",
    "cancelled": "Cancelled",
}
ALIGNMENT_LABELS = {
    "anniversary": "Anniversary (periods start on the line's start)",
    "calendar": "Calendar (periods start on the 1st)",
}
GROUPING_LABELS = {
    "customer": "One invoice per customer",
    "contract": "One invoice per contract",
}
ACTIVATION_LABELS = {
    "manual": "Manual",
    "at_date": "At a date",
    "on_signature": "On signature",
    "on_first_payment": "On first payment",
}
TERMINATION_LABELS = {
    "at_term_end": "At the end of the current term (after notice)",
    "on_date": "On a chosen date (respecting notice)",
    "immediately": "Immediately",
}
TIMING_LABELS = {"in_advance": "In advance", "in_arrears": "In arrears"}
PARAMETER_TYPE_LABELS = {
    "int": "Whole number",
    "decimal": "Decimal",
    "date": "Date",
    "string": "Text",
    "choice": "Choice",
}
KIND_CHOICES = {"recurring": "Recurring", "one_off": "One-off", "usage": "Usage-based"}
DISCOUNT_KIND_LABELS = {"percentage": "Percentage", "fixed": "Fixed amount off each period"}
FEE_KIND_LABELS = {
    "fixed": "Fixed amount",
    "remaining": "The remaining charges of the committed term",
    "percentage_of_remaining": "A percentage of the remaining charges",
}

FRENCH = {
    # Pages
    "Contract": "Contrat",
    "What each customer subscribed to, amendments and templates": (
        "Ce que chaque client a souscrit, les avenants et les modèles"
    ),
    "New contract": "Nouveau contrat",
    "Contract templates": "Modèles de contrat",
    "Templates": "Modèles",
    "Template": "Modèle",
    "New template": "Nouveau modèle",
    "Edit template": "Modifier le modèle",
    "Amend": "Avenant",
    "Amend the contract": "Modifier le contrat par avenant",
    "Terminate the contract": "Résilier le contrat",
    "New contract from this template": "Nouveau contrat depuis ce modèle",
    "Create the draft": "Créer le brouillon",
    "Create the template": "Créer le modèle",
    "Save as a new version": "Enregistrer une nouvelle version",
    # Fields
    "Reference": "Référence",
    "Customer": "Client",
    "Status": "Statut",
    "Start": "Début",
    "Start date": "Date de début",
    "Current term end": "Fin de la période en cours",
    "Next renewal": "Prochain renouvellement",
    "Renewal due before": "Renouvellement avant le",
    "Last day covered": "Dernier jour couvert",
    "Leave empty for an evergreen contract.": "Vide : contrat sans fin.",
    "Signed on": "Signé le",
    "First payment": "Premier paiement",
    "Initial term (months)": "Durée initiale (mois)",
    "Renew for (months)": "Renouvellement (mois)",
    "Empty: no automatic renewal.": "Vide : pas de renouvellement automatique.",
    "Notice (months)": "Préavis (mois)",
    "Notice (days)": "Préavis (jours)",
    "Billing alignment": "Alignement de facturation",
    "Invoice grouping": "Regroupement des factures",
    # The contract setting `credit_on_termination` (contract form and page).
    "Ended mid-period": "Résiliation en cours de période",
    "Credit the unused days": "Créditer les jours non utilisés",
    "No credit for the unused days": "Pas de crédit des jours non utilisés",
    "Activation": "Activation",
    "Activation date": "Date d'activation",
    "Purchase order": "Bon de commande",
    "Payment terms (days)": "Délai de paiement (jours)",
    "Empty: the customer's.": "Vide : celui du client.",
    "Currency": "Devise",
    "Pricelist": "Liste de prix",
    "The customer's, else the default": "Celle du client, sinon celle par défaut",
    "Lines": "Lignes",
    "Line": "Ligne",
    "Line key": "Clé de ligne",
    "Product": "Produit",
    "Quantity": "Quantité",
    "Unit price": "Prix unitaire",
    "Empty: the pricelist's price.": "Vide : le prix de la liste.",
    "Periodicity": "Périodicité",
    "Timing": "Facturation",
    "Description": "Description",
    "Line start": "Début de ligne",
    "Line end (last day)": "Fin de ligne (dernier jour)",
    "Discounts": "Remises",
    "override": "prix négocié",
    "from the pricelist": "de la liste de prix",
    "Term": "Période",
    "Notice": "Préavis",
    "Notice deadline": "Date limite de préavis",
    "evergreen": "sans fin",
    "no renewal": "pas de renouvellement",
    "months": "mois",
    "days": "jours",
    "renewals so far": "renouvellements à ce jour",
    "Version": "Version",
    "From template": "Depuis le modèle",
    "As of": "Au",
    "Show": "Afficher",
    "Today": "Aujourd'hui",
    "Showing the contract as it stood on": "Le contrat tel qu'il était le",
    "status that day": "statut ce jour-là",
    "projected: from a scheduled amendment": "projeté : issu d'un avenant planifié",
    "in force from": "en vigueur depuis le",
    # List
    "All statuses": "Tous les statuts",
    "All customers": "Tous les clients",
    "Search by reference": "Rechercher par référence",
    "Filter": "Filtrer",
    "No contract yet.": "Aucun contrat pour l'instant.",
    "No contract matches.": "Aucun contrat ne correspond.",
    "First page": "Première page",
    # Statuses and actions
    "Draft": "Brouillon",
    "Pending": "En attente",
    "Active": "Actif",
    "Suspended": "Suspendu",
    "Terminated": "Résilié",
    "Submit": "Soumettre",
    "Activate": "Activer",
    "Suspend": "Suspendre",
    "Resume": "Reprendre",
    "Terminate…": "Résilier…",
    "Terminate": "Résilier",
    "Submitted": "Soumis",
    "Activated": "Activé",
    "Resumed": "Repris",
    "Scheduled": "Planifié",
    "Applied": "Appliqué",
    "Cancelled": "Annulé",
    "Actions": "Actions",
    "Date": "Date",
    "Empty: today.": "Vide : aujourd'hui.",
    "Reason": "Motif",
    "Force (admins only)": "Forcer (administrateurs uniquement)",
    "Record the signature": "Enregistrer la signature",
    "Record the first payment": "Enregistrer le premier paiement",
    "Paid on": "Payé le",
    # Timeline and amendments
    "Timeline": "Historique",
    "Event": "Événement",
    "Original terms": "Conditions initiales",
    "Amendment": "Avenant",
    "Scheduled and draft amendments": "Avenants planifiés et brouillons",
    "No amendment waiting.": "Aucun avenant en attente.",
    "Effective": "Effet",
    "Effective date": "Date d'effet",
    "First day of the new terms.": "Premier jour des nouvelles conditions.",
    "Signed document": "Document signé",
    "Cancel it": "L'annuler",
    "Confirm": "Confirmer",
    "forced": "forcé",
    "What changes": "Ce qui change",
    "Tick each change to make; every change takes effect on the same date.": (
        "Cochez chaque modification ; toutes prennent effet à la même date."
    ),
    "Add a line": "Ajouter une ligne",
    "Remove a line": "Retirer une ligne",
    "Change a quantity": "Changer une quantité",
    "Change a price": "Changer un prix",
    "Change a periodicity or timing": "Changer une périodicité ou la facturation",
    "Change a discount": "Changer une remise",
    "Change the pricelist": "Changer de liste de prix",
    "Change the term": "Changer la durée",
    "Terminate on the effective date": "Résilier à la date d'effet",
    "A termination is made alone: notice, credit and fee are on the termination page.": (
        "Une résiliation se fait seule : préavis, avoir et frais sont sur la page de résiliation."
    ),
    "Empty: remove the discounts.": "Vide : supprimer les remises.",
    "Kind": "Type",
    "Value": "Valeur",
    "For (periods)": "Pendant (périodes)",
    "Until (last day)": "Jusqu'au (dernier jour)",
    "Stop renewing": "Arrêter le renouvellement",
    "New end (last day)": "Nouvelle fin (dernier jour)",
    "Save as a draft": "Enregistrer en brouillon",
    "Schedule (applied at once when due)": (
        "Planifier (appliqué tout de suite si la date est passée)"
    ),
    # Termination
    "Mode": "Mode",
    "Ends on (first day no longer covered)": "Fin le (premier jour non couvert)",
    "For a chosen date only.": "Pour une date choisie uniquement.",
    "Credit days already invoiced": "Créditer les jours déjà facturés",
    "Fee product": "Produit des frais",
    "Fee amount": "Montant des frais",
    "No fee": "Aucun frais",
    "At the end of the current term (after notice)": (
        "À la fin de la période en cours (après préavis)"
    ),
    "On a chosen date (respecting notice)": "À une date choisie (en respectant le préavis)",
    "Immediately": "Immédiatement",
    # Options
    "Anniversary (periods start on the line's start)": (
        "Anniversaire (les périodes commencent au début de la ligne)"
    ),
    "Calendar (periods start on the 1st)": "Calendaire (les périodes commencent le 1er)",
    "One invoice per customer": "Une facture par client",
    "One invoice per contract": "Une facture par contrat",
    "Manual": "Manuelle",
    "At a date": "À une date",
    "On signature": "À la signature",
    "On first payment": "Au premier paiement",
    "The pricelist's": "Celle de la liste de prix",
    "In advance": "À échoir",
    "In arrears": "Terme échu",
    "Recurring": "Récurrent",
    "One-off": "Ponctuel",
    "Usage-based": "À l'usage",
    "Percentage": "Pourcentage",
    "Fixed amount off each period": "Montant fixe par période",
    # Templates
    "Name": "Nom",
    "Latest version": "Dernière version",
    "Versions": "Versions",
    "Updated": "Mise à jour",
    "No template yet.": "Aucun modèle pour l'instant.",
    "Parameters": "Paramètres",
    "Type": "Type",
    "Default": "Par défaut",
    "Choices": "Choix",
    "Label": "Libellé",
    "Comma-separated, for a choice.": "Séparés par des virgules, pour un choix.",
    "Whole number": "Nombre entier",
    "Decimal": "Décimal",
    "Text": "Texte",
    "Choice": "Choix",
    "Default terms": "Conditions par défaut",
    "A value, or {name} for a parameter.": "Une valeur, ou {nom} pour un paramètre.",
    "Product code": "Code produit",
    "by": "par",
    "Editing stores a new version; contracts made from earlier versions keep theirs.": (
        "Modifier enregistre une nouvelle version ; les contrats issus des versions précédentes "
        "gardent la leur."
    ),
    "optional": "facultatif",
    # Drafts, edited in place
    "Edit the draft": "Modifier le brouillon",
    "Delete the draft": "Supprimer le brouillon",
    "Delete this draft?": "Supprimer ce brouillon ?",
    "The draft and its lines are deleted for good. A contract once submitted is never deleted: "
    "it is terminated.": (
        "Le brouillon et ses lignes sont supprimés définitivement. Un contrat soumis n'est "
        "jamais supprimé : il est résilié."
    ),
    "Only what you change is saved; lines priced from the pricelist are priced again.": (
        "Seul ce que vous modifiez est enregistré ; les lignes au prix de la liste sont "
        "recalculées."
    ),
    "The default pricelist of the currency": "La liste de prix par défaut de la devise",
    "Edit a line": "Modifier une ligne",
    "Remove": "Retirer",
    "Empty: from the product code.": "Vide : d'après le code produit.",
    "Empty: the pricelist's.": "Vide : celle de la liste de prix.",
    "Empty: the contract's.": "Vide : celle du contrat.",
    "Empty: no minimum.": "Vide : pas de minimum.",
    # Minimum commitments and early-termination fees
    "Early-termination fee": "Frais de résiliation anticipée",
    "No early-termination fee": "Aucun frais de résiliation anticipée",
    "Fee (fixed amount)": "Frais (montant fixe)",
    "Fee (percentage)": "Frais (pourcentage)",
    "Remove the early-termination fee": "Supprimer les frais de résiliation anticipée",
    "Waive the early-termination fee (admins only)": (
        "Renoncer aux frais de résiliation anticipée (administrateurs uniquement)"
    ),
    "Fixed amount": "Montant fixe",
    "The remaining charges of the committed term": "Les montants restants de la période engagée",
    "A percentage of the remaining charges": "Un pourcentage des montants restants",
    "Minimum": "Minimum",
    "Minimum per": "Minimum par",
    "Empty: per term.": "Vide : par période d'engagement.",
    "per term": "par période d'engagement",
    "Billed when the contract ends before its committed term's end.": (
        "Facturés quand le contrat se termine avant la fin de sa période d'engagement."
    ),
}
