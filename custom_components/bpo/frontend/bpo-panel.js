// bpo panel and card: built by scripts/frontend from frontend/src (do not edit; see docs/home-assistant.md).
var Z=globalThis,Y=Z.ShadowRoot&&(Z.ShadyCSS===void 0||Z.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,ce=Symbol(),xe=new WeakMap,z=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==ce)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(Y&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=xe.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&xe.set(t,e))}return e}toString(){return this.cssText}},we=r=>new z(typeof r=="string"?r:r+"",void 0,ce),C=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,i,n)=>s+(a=>{if(a._$cssResult$===!0)return a.cssText;if(typeof a=="number")return a;throw Error("Value passed to 'css' function must be a 'css' function result: "+a+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[n+1],r[0]);return new z(t,r,ce)},ke=(r,e)=>{if(Y)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=Z.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,r.appendChild(s)}},pe=Y?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return we(t)})(r):r;var{is:ht,defineProperty:ut,getOwnPropertyDescriptor:mt,getOwnPropertyNames:gt,getOwnPropertySymbols:ft,getPrototypeOf:$t}=Object,J=globalThis,Ae=J.trustedTypes,bt=Ae?Ae.emptyScript:"",vt=J.reactiveElementPolyfillSupport,V=(r,e)=>r,he={toAttribute(r,e){switch(e){case Boolean:r=r?bt:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},Se=(r,e)=>!ht(r,e),Ee={attribute:!0,type:String,converter:he,reflect:!1,useDefault:!1,hasChanged:Se};Symbol.metadata??=Symbol("metadata"),J.litPropertyMetadata??=new WeakMap;var k=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Ee){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&ut(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:n}=mt(this.prototype,e)??{get(){return this[t]},set(a){this[t]=a}};return{get:i,set(a){let p=i?.call(this);n?.call(this,a),this.requestUpdate(e,p,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Ee}static _$Ei(){if(this.hasOwnProperty(V("elementProperties")))return;let e=$t(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(V("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(V("properties"))){let t=this.properties,s=[...gt(t),...ft(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(pe(i))}else e!==void 0&&t.push(pe(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ke(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let n=(s.converter?.toAttribute!==void 0?s.converter:he).toAttribute(t,s.type);this._$Em=e,n==null?this.removeAttribute(i):this.setAttribute(i,n),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let n=s.getPropertyOptions(i),a=typeof n.converter=="function"?{fromAttribute:n.converter}:n.converter?.fromAttribute!==void 0?n.converter:he;this._$Em=i;let p=a.fromAttribute(t,n.type);this[i]=p??this._$Ej?.get(i)??p,this._$Em=null}}requestUpdate(e,t,s,i=!1,n){if(e!==void 0){let a=this.constructor;if(i===!1&&(n=this[e]),s??=a.getPropertyOptions(e),!((s.hasChanged??Se)(n,t)||s.useDefault&&s.reflect&&n===this._$Ej?.get(e)&&!this.hasAttribute(a._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:n},a){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,a??t??this[e]),n!==!0||a!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,n]of this._$Ep)this[i]=n;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,n]of s){let{wrapped:a}=n,p=this[i];a!==!0||this._$AL.has(i)||p===void 0||this.C(i,void 0,n,p)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};k.elementStyles=[],k.shadowRootOptions={mode:"open"},k[V("elementProperties")]=new Map,k[V("finalized")]=new Map,vt?.({ReactiveElement:k}),(J.reactiveElementVersions??=[]).push("2.1.2");var me=globalThis,Ce=r=>r,Q=me.trustedTypes,Te=Q?Q.createPolicy("lit-html",{createHTML:r=>r}):void 0,ge="$lit$",A=`lit$${Math.random().toFixed(9).slice(2)}$`,fe="?"+A,yt=`<${fe}>`,P=document,W=()=>P.createComment(""),K=r=>r===null||typeof r!="object"&&typeof r!="function",$e=Array.isArray,Ne=r=>$e(r)||typeof r?.[Symbol.iterator]=="function",ue=`[ 	
\f\r]`,q=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,He=/-->/g,Pe=/>/g,T=RegExp(`>|${ue}(?:([^\\s"'>=/]+)(${ue}*=${ue}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Re=/'/g,Me=/"/g,Ue=/^(?:script|style|textarea|title)$/i,be=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),l=be(1),Ft=be(2),Bt=be(3),E=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),Oe=new WeakMap,H=P.createTreeWalker(P,129);function je(r,e){if(!$e(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return Te!==void 0?Te.createHTML(e):e}var Le=(r,e)=>{let t=r.length-1,s=[],i,n=e===2?"<svg>":e===3?"<math>":"",a=q;for(let p=0;p<t;p++){let o=r[p],h,g,c=-1,m=0;for(;m<o.length&&(a.lastIndex=m,g=a.exec(o),g!==null);)m=a.lastIndex,a===q?g[1]==="!--"?a=He:g[1]!==void 0?a=Pe:g[2]!==void 0?(Ue.test(g[2])&&(i=RegExp("</"+g[2],"g")),a=T):g[3]!==void 0&&(a=T):a===T?g[0]===">"?(a=i??q,c=-1):g[1]===void 0?c=-2:(c=a.lastIndex-g[2].length,h=g[1],a=g[3]===void 0?T:g[3]==='"'?Me:Re):a===Me||a===Re?a=T:a===He||a===Pe?a=q:(a=T,i=void 0);let u=a===T&&r[p+1].startsWith("/>")?" ":"";n+=a===q?o+yt:c>=0?(s.push(h),o.slice(0,c)+ge+o.slice(c)+A+u):o+A+(c===-2?p:u)}return[je(r,n+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},G=class r{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let n=0,a=0,p=e.length-1,o=this.parts,[h,g]=Le(e,t);if(this.el=r.createElement(h,s),H.currentNode=this.el.content,t===2||t===3){let c=this.el.content.firstChild;c.replaceWith(...c.childNodes)}for(;(i=H.nextNode())!==null&&o.length<p;){if(i.nodeType===1){if(i.hasAttributes())for(let c of i.getAttributeNames())if(c.endsWith(ge)){let m=g[a++],u=i.getAttribute(c).split(A),$=/([.?@])?(.*)/.exec(m);o.push({type:1,index:n,name:$[2],strings:u,ctor:$[1]==="."?ee:$[1]==="?"?te:$[1]==="@"?se:M}),i.removeAttribute(c)}else c.startsWith(A)&&(o.push({type:6,index:n}),i.removeAttribute(c));if(Ue.test(i.tagName)){let c=i.textContent.split(A),m=c.length-1;if(m>0){i.textContent=Q?Q.emptyScript:"";for(let u=0;u<m;u++)i.append(c[u],W()),H.nextNode(),o.push({type:2,index:++n});i.append(c[m],W())}}}else if(i.nodeType===8)if(i.data===fe)o.push({type:2,index:n});else{let c=-1;for(;(c=i.data.indexOf(A,c+1))!==-1;)o.push({type:7,index:n}),c+=A.length-1}n++}}static createElement(e,t){let s=P.createElement("template");return s.innerHTML=e,s}};function R(r,e,t=r,s){if(e===E)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,n=K(e)?void 0:e._$litDirective$;return i?.constructor!==n&&(i?._$AO?.(!1),n===void 0?i=void 0:(i=new n(r),i._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=R(r,i._$AS(r,e.values),i,s)),e}var X=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??P).importNode(t,!0);H.currentNode=i;let n=H.nextNode(),a=0,p=0,o=s[0];for(;o!==void 0;){if(a===o.index){let h;o.type===2?h=new O(n,n.nextSibling,this,e):o.type===1?h=new o.ctor(n,o.name,o.strings,this,e):o.type===6&&(h=new re(n,this,e)),this._$AV.push(h),o=s[++p]}a!==o?.index&&(n=H.nextNode(),a++)}return H.currentNode=P,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},O=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=R(this,e,t),K(e)?e===d||e==null||e===""?(this._$AH!==d&&this._$AR(),this._$AH=d):e!==this._$AH&&e!==E&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Ne(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==d&&K(this._$AH)?this._$AA.nextSibling.data=e:this.T(P.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=G.createElement(je(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let n=new X(i,this),a=n.u(this.options);n.p(t),this.T(a),this._$AH=n}}_$AC(e){let t=Oe.get(e.strings);return t===void 0&&Oe.set(e.strings,t=new G(e)),t}k(e){$e(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let n of e)i===t.length?t.push(s=new r(this.O(W()),this.O(W()),this,this.options)):s=t[i],s._$AI(n),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Ce(e).nextSibling;Ce(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},M=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,n){this.type=1,this._$AH=d,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=n,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=d}_$AI(e,t=this,s,i){let n=this.strings,a=!1;if(n===void 0)e=R(this,e,t,0),a=!K(e)||e!==this._$AH&&e!==E,a&&(this._$AH=e);else{let p=e,o,h;for(e=n[0],o=0;o<n.length-1;o++)h=R(this,p[s+o],t,o),h===E&&(h=this._$AH[o]),a||=!K(h)||h!==this._$AH[o],h===d?e=d:e!==d&&(e+=(h??"")+n[o+1]),this._$AH[o]=h}a&&!i&&this.j(e)}j(e){e===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},ee=class extends M{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===d?void 0:e}},te=class extends M{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==d)}},se=class extends M{constructor(e,t,s,i,n){super(e,t,s,i,n),this.type=5}_$AI(e,t=this){if((e=R(this,e,t,0)??d)===E)return;let s=this._$AH,i=e===d&&s!==d||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,n=e!==d&&(s===d||i);i&&this.element.removeEventListener(this.name,this,s),n&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},re=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){R(this,e)}},Ie={M:ge,P:A,A:fe,C:1,L:Le,R:X,D:Ne,V:R,I:O,H:M,N:te,U:se,B:ee,F:re},_t=me.litHtmlPolyfillSupport;_t?.(G,O),(me.litHtmlVersions??=[]).push("3.3.3");var De=(r,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let n=t?.renderBefore??null;s._$litPart$=i=new O(e.insertBefore(W(),n),n,void 0,t??{})}return i._$AI(r),i};var ve=globalThis,f=class extends k{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=De(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return E}};f._$litElement$=!0,f.finalized=!0,ve.litElementHydrateSupport?.({LitElement:f});var xt=ve.litElementPolyfillSupport;xt?.({LitElement:f});(ve.litElementVersions??=[]).push("4.2.2");var Fe=(r,e=!1)=>r.callWS({type:"bpo/tasks/list",include_closed:e}).then(t=>t.tasks),Be=(r,e,t,s)=>r.callWS({type:"bpo/task/complete",task_id:e,...t?{outcome:t}:{},...Object.keys(s).length?{form:s}:{}}),ze=(r,e)=>r.callWS({type:"bpo/task/claim",task_id:e}),Ve=(r,e,t)=>r.callWS({type:"bpo/task/reassign",task_id:e,assignee:t}),qe=r=>r.callWS({type:"bpo/instances/list"}).then(e=>e.instances),We=(r,e)=>r.callWS({type:"bpo/instance/get",instance_id:e}),Ke=(r,e)=>r.callWS({type:"bpo/instance/cancel",instance_id:e}),Ge=(r,e)=>r.callWS({type:"bpo/process/resume",process:e}),Ze=r=>r.callWS({type:"bpo/blueprints/list"}),Ye=(r,e,t,s)=>r.callWS({type:"bpo/process/start",process:e,...t?{key:t}:{},...Object.keys(s).length?{fields:s}:{}}),Je=(r,e)=>r.connection.subscribeMessage(()=>e(),{type:"bpo/tasks/subscribe"});function y(r){return r&&typeof r=="object"&&"message"in r?String(r.message):String(r)}var Qe="***",wt={string:"text",text:"text",number:"number",integer:"integer",bool:"bool",boolean:"bool",choice:"choice",select:"choice",date:"date",datetime:"datetime",file:"file",entity:"entity"},ye=r=>wt[r.type]??"text";function kt(r,e){let t=ye(r);if(t==="bool")return!!e;let s=String(e).trim();if(s==="")return null;if(t==="number"||t==="integer"){let i=Number(s);return Number.isFinite(i)?i:s}return s}function ie(r,e,t){return r.filter(s=>s.required&&ye(s)!=="bool").filter(s=>{let i=s.name in e?e[s.name]:t[s.name];return i==null||i===""}).map(s=>s.label||s.name)}function ne(r,e,t,s,i,n=!1){let a=ye(r),p=e===Qe,o=t!==void 0?t:p?null:e??null,h=l`<span class="label">${r.label||r.name}${r.required?l`<span class="req" title=${i("required")}> *</span>`:d}${r.pii?l` <span class="pii">PII</span>`:d}</span>`,g=m=>s(kt(r,m.target.value)),c;if(a==="bool")return l`<label class="field bool" data-field=${r.name}>
      <input type="checkbox" name=${r.name} .checked=${!!o} ?disabled=${n}
        @change=${m=>s(m.target.checked)} />${h}</label>`;if(a==="choice")c=l`<select name=${r.name} ?required=${r.required} ?disabled=${n} @change=${g}>
      <option value="" ?selected=${o===null}>${i("choose")}</option>
      ${(r.options??[]).map(m=>l`<option value=${m} ?selected=${o===m}>${m}</option>`)}
    </select>`;else{let m={number:"number",integer:"number",date:"date",datetime:"datetime-local"}[a]??"text",u=p?Qe:a==="file"?i("file_hint"):a==="entity"?"person.…":"";c=l`<input type=${m} name=${r.name} step=${a==="integer"?"1":"any"}
      .value=${o===null?"":String(o)} placeholder=${u}
      ?required=${r.required} ?disabled=${n} @input=${g} />`}return l`<label class="field" data-field=${r.name}>${h}${c}</label>`}var At={title:"Business processes",tab_tasks:"My tasks",tab_instances:"Instances",tab_admin:"Admin",loading:"Loading…",no_tasks:"No open tasks. Well done!",no_instances:"No instances.",due:"Due {when}",overdue:"Overdue since {when}",reminders:"Reminders: {when}",assignee:"Assigned to {who}",queue:"Queue {group}",candidates:"For {who}",claim:"Claim",complete:"Done",required:"Required",missing:"Fill in: {fields}",masked:"Some personal data is hidden (***): you are not cleared to see it.",not_yours:"Only the assignee can finish this task.",file_hint:"Link or file name",yes:"Yes",no:"No",choose:"Choose…",status:"Status",current_step:"Current step",started:"Started {when}",history:"History",graph:"Process",tasks:"Tasks",fields:"Fields",back:"Back",cancel_instance:"Cancel instance",confirm_cancel:"Cancel instance {id}?",reassign:"Reassign",reassign_to:"person.…",blueprints:"Blueprints",problems:"Problems",no_problems:"No problems in the blueprints.",suspended:"Suspended",resume:"Resume",limits:"Limits",start:"Start a process",process:"Process",key:"Key (optional)",start_button:"Start",started_ok:"Started {id} ({status})",done_ok:"Finished: {title}",admins_only:"Only administrators see this tab.",open_panel:"Open",card_title:"My tasks",more:"+{n} more in the BPO panel",all_processes:"All",started_at:"Started",only_mine:"Only mine",everyone:"Everyone's",fill_in:"Fill in",limit_text:"{max} starts per {per}",limit_text_one:"1 start per {per}"},Et={title:"業務プロセス",tab_tasks:"自分のタスク",tab_instances:"インスタンス",tab_admin:"管理",loading:"読み込み中…",no_tasks:"未完了のタスクはありません。",no_instances:"インスタンスはありません。",due:"期限 {when}",overdue:"期限切れ（{when}）",reminders:"リマインダー: {when}",assignee:"担当: {who}",queue:"キュー {group}",candidates:"候補: {who}",claim:"引き受ける",complete:"完了",required:"必須",missing:"入力してください: {fields}",masked:"個人情報の一部は非表示です（***）。閲覧権限がありません。",not_yours:"このタスクは担当者だけが完了できます。",file_hint:"リンクまたはファイル名",yes:"はい",no:"いいえ",choose:"選択…",status:"状態",current_step:"現在のステップ",started:"開始 {when}",history:"履歴",graph:"プロセス",tasks:"タスク",fields:"項目",back:"戻る",cancel_instance:"インスタンスを中止",confirm_cancel:"インスタンス {id} を中止しますか？",reassign:"担当変更",reassign_to:"person.…",blueprints:"ブループリント",problems:"問題",no_problems:"ブループリントに問題はありません。",suspended:"停止中",resume:"再開",limits:"制限",start:"プロセスを開始",process:"プロセス",key:"キー（任意）",start_button:"開始",started_ok:"{id} を開始しました（{status}）",done_ok:"完了しました: {title}",admins_only:"このタブは管理者だけが見られます。",open_panel:"開く",card_title:"自分のタスク",more:"ほか {n} 件は BPO パネルで",all_processes:"すべて",started_at:"開始",only_mine:"自分の分だけ",everyone:"全員の分",fill_in:"入力する",limit_text:"{per}あたり {max} 回",limit_text_one:"{per}あたり 1 回"};function b(r){let e=(r??"").toLowerCase().startsWith("ja")?Et:At;return(t,s)=>e[t].replace(/\{(\w+)\}/g,(i,n)=>String(s?.[n]??""))}function _(r,e){if(!e)return"";let t=new Date(e);if(Number.isNaN(t.getTime()))return e;let i={dateStyle:"medium",timeStyle:"short",timeZone:r?.locale?.time_zone==="server"?r.config?.time_zone:void 0};try{return new Intl.DateTimeFormat(r?.language||"en",i).format(t)}catch{return new Intl.DateTimeFormat(r?.language||"en",{...i,timeZone:void 0}).format(t)}}var x=class{constructor(e,t){this.host=e;this.load=t;this.loading=!1;this.again=!1;e.addController(this)}hostConnected(){this.host.hass&&this.start()}hostUpdated(){this.host.hass&&!this.unsubscribe&&this.start()}hostDisconnected(){let e=this.unsubscribe;this.unsubscribe=void 0,e?.then(t=>t?.()).catch(()=>{})}start(){this.unsubscribe=Je(this.host.hass,()=>{this.reload()}).catch(()=>{}),this.unsubscribe.then(()=>this.reload())}async reload(){if(this.loading){this.again=!0;return}this.loading=!0;try{do this.again=!1,await this.load();while(this.again)}finally{this.loading=!1}}};var v=C`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--ha-font-family-body, Roboto, system-ui, sans-serif);
    font-size: 14px;
  }
  .card {
    background: var(--card-background-color, #fff);
    border-radius: var(--ha-card-border-radius, 12px);
    border: 1px solid var(--divider-color, #e0e0e0);
    padding: 12px 16px;
    margin: 0 0 12px;
  }
  h2, h3 { margin: 0 0 8px; font-weight: 500; }
  h2 { font-size: 18px; }
  h3 { font-size: 15px; }
  .muted { color: var(--secondary-text-color, #727272); font-size: 13px; }
  .error { color: var(--error-color, #db4437); }
  .ok { color: var(--success-color, #43a047); }
  .warn { color: var(--warning-color, #ffa600); }
  .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  .grow { flex: 1 1 auto; min-width: 0; }
  button {
    font: inherit;
    border: none;
    border-radius: 18px;
    padding: 6px 14px;
    min-height: 36px;
    cursor: pointer;
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.secondary {
    background: transparent;
    color: var(--primary-color, #03a9f4);
    border: 1px solid var(--primary-color, #03a9f4);
  }
  button.danger { background: var(--error-color, #db4437); }
  button:disabled { opacity: 0.5; cursor: default; }
  input, select, textarea {
    font: inherit;
    box-sizing: border-box;
    width: 100%;
    padding: 8px;
    border: 1px solid var(--divider-color, #bdbdbd);
    border-radius: 6px;
    background: var(--secondary-background-color, #fafafa);
    color: inherit;
  }
  .form { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); column-gap: 16px; margin-top: 8px; }
  .field { display: block; margin: 0 0 10px; }
  .field .label { display: block; margin: 0 0 4px; font-size: 13px; color: var(--secondary-text-color, #727272); }
  .field.bool { display: flex; gap: 8px; align-items: center; }
  .field.bool input { width: auto; }
  .field.bool .label { margin: 0; }
  .req { color: var(--error-color, #db4437); }
  .pii, .badge {
    display: inline-block;
    font-size: 11px;
    padding: 1px 6px;
    border-radius: 8px;
    background: var(--secondary-background-color, #eee);
    color: var(--secondary-text-color, #727272);
  }
  .badge.overdue, .badge.failed { background: var(--error-color, #db4437); color: #fff; }
  .badge.running, .badge.open { background: var(--primary-color, #03a9f4); color: #fff; }
  .badge.completed, .badge.done { background: var(--success-color, #43a047); color: #fff; }
  .badge.suspended, .badge.cancelled { background: var(--warning-color, #ffa600); color: #fff; }
  ul.plain { list-style: none; padding: 0; margin: 0; }
  a { color: var(--primary-color, #03a9f4); }
`;var St=r=>r%3600===0?`${r/3600} h`:r%60===0?`${r/60} min`:`${r} s`;function Xe(r,e){let{max_starts:t,window:s}=r.limits;return t==null?"":e(t===1?"limit_text_one":"limit_text",{max:t,per:typeof s=="number"?St(s):"—"})}var N=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.blueprints=void 0,this.problems=[],this.error="",this.message="",this.process="",this.key="",this.edited={}}async load(){try{let t=await Ze(this.hass);this.blueprints=t.blueprints,this.problems=t.errors}catch(t){this.error=y(t)}}async act(t){this.error="",this.message="";try{this.message=await t(),await this.live.reload()}catch(s){this.error=y(s)}}start(t){let s=b(this.hass.language),i=ie(t.fields,this.edited,{});if(i.length){this.error=s("missing",{fields:i.join(", ")});return}let n=Object.fromEntries(Object.entries(this.edited).filter(([,a])=>a!==null));this.act(async()=>{let a=await Ye(this.hass,t.process,this.key.trim(),n);return this.edited={},this.key="",s("started_ok",{id:a.instance_id,status:a.status})})}render(){let t=b(this.hass?.language);if(!this.hass?.user?.is_admin)return l`<div class="muted">${t("admins_only")}</div>`;if(!this.blueprints)return l`${this.error?l`<div class="error">${this.error}</div>`:l`<div class="muted">${t("loading")}</div>`}`;let s=this.blueprints.filter(n=>n.manual&&!n.suspended),i=s.find(n=>n.process===this.process)??s[0];return l`
      ${this.message?l`<div class="card ok message" role="status">${this.message}</div>`:d}
      ${this.error?l`<div class="card error" role="alert">${this.error}</div>`:d}
      ${i?l`<div class="card start-form"><h2>${t("start")}</h2>
        <label class="field"><span class="label">${t("process")}</span>
          <select name="process" @change=${n=>{this.process=n.target.value,this.edited={}}}>
            ${s.map(n=>l`<option value=${n.process} ?selected=${n===i}>${n.title} (${n.process})</option>`)}
          </select></label>
        <label class="field"><span class="label">${t("key")}</span>
          <input name="key" .value=${this.key} @input=${n=>this.key=n.target.value} /></label>
        <div class="form">${i.fields.map(n=>ne(n,void 0,this.edited[n.name],a=>this.edited={...this.edited,[n.name]:a},t))}</div>
        <button class="start" @click=${()=>this.start(i)}>${t("start_button")}</button>
      </div>`:d}
      <div class="card problems"><h2>${t("problems")}</h2>
        ${this.problems.length?l`<ul class="plain">${this.problems.map(n=>l`<li class="error problem"><code>${n.file}${n.line?`:${n.line}`:""}</code>${n.field?l` <code>${n.field}</code>`:d} — ${n.message}</li>`)}</ul>`:l`<div class="muted">${t("no_problems")}</div>`}
      </div>
      <div class="card"><h2>${t("blueprints")}</h2>
        <ul class="plain">${this.blueprints.map(n=>l`<li class="blueprint" data-process=${n.process} style="margin-bottom:8px">
          <div class="row"><strong class="grow">${n.title} <span class="muted">${n.process}</span></strong>
            ${n.suspended?l`<span class="badge suspended">${t("suspended")}</span>
              <button class="resume" @click=${()=>{this.act(async()=>(await Ge(this.hass,n.process),`${t("resume")}: ${n.process}`))}}>${t("resume")}</button>`:d}
          </div>
          <div class="muted"><code>${n.file}</code>${Xe(n,t)?l` · ${t("limits")}: ${Xe(n,t)}`:d}</div>
        </li>`)}</ul>
      </div>`}};N.properties={hass:{attribute:!1},blueprints:{state:!0},problems:{state:!0},error:{state:!0},message:{state:!0},process:{state:!0},key:{state:!0},edited:{state:!0}},N.styles=[v];var U=class extends f{setConfig(e){if(!e||typeof e!="object")throw new Error("bpo-tasks-card: the card needs a configuration");if(e.limit!==void 0&&(!Number.isInteger(e.limit)||e.limit<1))throw new Error("bpo-tasks-card: limit must be a whole number of 1 or more");this.config=e}getCardSize(){return 1+(this.config?.limit??5)*2}getGridOptions(){return{columns:6,min_columns:4}}static getStubConfig(){return{limit:5}}render(){if(!this.hass||!this.config)return l``;let e=b(this.hass.language);return l`<ha-card>
      <div style="padding:12px 16px 4px"><h2>${this.config.title??e("card_title")}</h2>
        <bpo-task-list .hass=${this.hass} compact .limit=${this.config.limit??5}></bpo-task-list>
      </div>
    </ha-card>`}};U.properties={hass:{attribute:!1},config:{state:!0}},U.styles=[v];var Ct=/^([A-Za-z0-9_]+)\s*([[({/\\>]+)"(.*)"([\])}/\\]+)$/,Tt=/^([A-Za-z0-9_]+)\s+(-->|-\.->)(?:\|"(.*)"\|)?\s*([A-Za-z0-9_]+)$/,Ht={"([":"start","[":"task","{":"choice","((":"end","(((":"end","[[":"action","{{":"wait","[/":"parallel","[\\":"parallel",">":"flag"},et=r=>r.replace(/#quot;/g,'"').replace(/<br\/?>/g,`
`);function tt(r){let e=[],t=[];for(let s of r.split(`
`)){let i=s.trim(),n=Tt.exec(i);if(n){t.push({from:n[1],to:n[4],label:et(n[3]??""),dashed:n[2]==="-.->"});continue}let a=Ct.exec(i);a&&e.push({id:a[1],label:et(a[3]),shape:Ht[a[2]]??"task"})}return{nodes:e,edges:t}}var st=r=>"s_"+r.replace(/[^A-Za-z0-9_]/g,"_");function rt(r,e,t){let{nodes:s,edges:i}=tt(r),n=new Set(e.map(st)),a=new Set(t.map(st)),p=new Map(s.map(o=>[o.id,o.label.split(`
`)[0].split(":")[0]]));return l`<ol class="graph">
    ${s.map(o=>{let[h,...g]=o.label.split(`
`),c=i.filter(u=>u.from===o.id),m=n.has(o.id)?"current":a.has(o.id)?"visited":"";return l`<li class="node ${o.shape} ${m}" data-node=${o.id}>
        <div class="box"><strong>${h}</strong>${g.map(u=>l`<div class="muted">${u}</div>`)}</div>
        ${c.length?l`<ul class="edges">${c.map(u=>l`<li class=${u.dashed?"dashed":""}>→ ${p.get(u.to)??u.to}${u.label?l` <span class="muted">(${u.label})</span>`:d}</li>`)}</ul>`:d}
      </li>`})}
  </ol>`}var Pt=new Set(["running","waiting","suspended"]),j=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.instance=void 0,this.error="",this.reassignTo={}}updated(t){t.has("instanceId")&&t.get("instanceId")!==void 0&&this.live.reload()}async load(){try{this.instance=await We(this.hass,this.instanceId),this.error=""}catch(t){this.error=y(t)}}async act(t){try{await t(),await this.live.reload()}catch(s){this.error=y(s)}}render(){let t=b(this.hass?.language),s=this.instance,i=!!this.hass?.user?.is_admin;if(!s)return l`${this.error?l`<div class="error" role="alert">${this.error}</div>`:l`<div class="muted">${t("loading")}</div>`}`;let n=s.tasks.filter(o=>o.status==="open"),a=s.current_steps??[...new Set(n.map(o=>o.step))],p=s.history.map(o=>o.step).filter(o=>!!o);return l`<div class="instance" data-instance-id=${s.instance_id}>
      <div class="card">
        <div class="row">
          <h2 class="grow">${s.process_title??s.process} · ${s.key}</h2>
          <span class="badge ${s.status} status">${s.status}</span>
        </div>
        <dl>
          <dt>${t("current_step")}</dt><dd class="current">${a.join(", ")||"—"}</dd>
          ${s.started?l`<dt>${t("started_at")}</dt><dd>${_(this.hass,s.started)}${s.ended?l` → ${_(this.hass,s.ended)}`:d}</dd>`:d}
          ${s.error?l`<dt class="error">!</dt><dd class="error">${s.error}</dd>`:d}
          ${Object.entries(s.fields).map(([o,h])=>l`<dt>${o}</dt><dd>${h===null?"—":String(h)}</dd>`)}
        </dl>
        ${s.masked?l`<div class="muted masked">${t("masked")}</div>`:d}
        ${i&&Pt.has(s.status)?l`<div class="row" style="margin-top:8px"><button class="danger cancel" @click=${()=>{confirm(t("confirm_cancel",{id:s.instance_id}))&&this.act(()=>Ke(this.hass,s.instance_id))}}>${t("cancel_instance")}</button></div>`:d}
        ${this.error?l`<div class="error" role="alert">${this.error}</div>`:d}
      </div>
      ${n.length?l`<div class="card"><h3>${t("tasks")}</h3><ul class="plain">${n.map(o=>l`<li class="row" data-task-id=${o.task_id}>
          <span class="grow">${o.title} <span class="muted">${o.assignee??o.group??""}</span></span>
          ${i?l`<input style="max-width:160px" placeholder=${t("reassign_to")} .value=${this.reassignTo[o.task_id]??""}
              @input=${h=>this.reassignTo={...this.reassignTo,[o.task_id]:h.target.value}} />
            <button class="secondary reassign" ?disabled=${!this.reassignTo[o.task_id]}
              @click=${()=>{this.act(()=>Ve(this.hass,o.task_id,this.reassignTo[o.task_id]))}}>${t("reassign")}</button>`:d}
        </li>`)}</ul></div>`:d}
      <div class="card history"><h3>${t("history")}</h3>
        <ol class="timeline">${s.history.map(o=>l`<li data-type=${o.type} data-task-id=${o.task_id??""}>
          <div><strong>${o.type.replace(/_/g," ")}</strong>${o.step?l` · ${o.step}`:d}${o.detail?l` · <span class="detail">${o.detail}</span>`:d}</div>
          <div class="muted">${_(this.hass,o.at)}${o.by?l` · ${o.by}`:d}${o.source?l` · ${o.source}`:d}</div>
        </li>`)}</ol>
      </div>
      ${s.graph?l`<div class="card"><h3>${t("graph")}</h3>${rt(s.graph,a,p)}</div>`:d}
    </div>`}};j.properties={hass:{attribute:!1},instanceId:{attribute:"instance-id"},instance:{state:!0},error:{state:!0},reassignTo:{state:!0}},j.styles=[v,C`
      .timeline { list-style: none; margin: 0; padding: 0 0 0 12px; border-left: 2px solid var(--divider-color, #e0e0e0); }
      .timeline li { position: relative; padding: 0 0 10px 10px; }
      .timeline li::before {
        content: ""; position: absolute; left: -19px; top: 4px; width: 10px; height: 10px; border-radius: 50%;
        background: var(--primary-color, #03a9f4);
      }
      .graph { list-style: none; margin: 0; padding: 0; }
      .graph .node { margin: 0 0 8px; }
      .graph .box { border: 1px solid var(--divider-color, #bdbdbd); border-radius: 4px; padding: 6px 10px; white-space: pre-line; }
      .graph .start .box, .graph .end .box { border-radius: 18px; }
      .graph .choice .box { border-style: dashed; }
      .graph .visited .box { background: var(--secondary-background-color, #f5f5f5); }
      .graph .current .box { border: 2px solid var(--primary-color, #03a9f4); }
      .graph .edges { list-style: none; margin: 2px 0 0 16px; padding: 0; font-size: 13px; }
      .graph .edges .dashed { font-style: italic; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
      dt { color: var(--secondary-text-color, #727272); }
      dd { margin: 0; overflow-wrap: anywhere; }
    `];var L=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.selected="",this.rows=void 0,this.error="",this.status=""}async load(){try{this.rows=await qe(this.hass),this.error=""}catch(t){this.error=y(t)}}render(){let t=b(this.hass?.language);if(this.selected)return l`<button class="secondary back" @click=${()=>this.selected=""}>← ${t("back")}</button>
        <div style="height:8px"></div>
        <bpo-instance-view .hass=${this.hass} .instanceId=${this.selected}></bpo-instance-view>`;if(this.error)return l`<div class="error" role="alert">${this.error}</div>`;if(!this.rows)return l`<div class="muted">${t("loading")}</div>`;let s=[...new Set(this.rows.map(n=>n.status))].sort(),i=[...this.rows].filter(n=>!this.status||n.status===this.status).sort((n,a)=>(a.updated??a.started).localeCompare(n.updated??n.started));return l`
      <div class="row" style="margin-bottom:8px">
        <label class="muted">${t("status")}</label>
        <select style="width:auto" class="status-filter" @change=${n=>this.status=n.target.value}>
          <option value="">${t("all_processes")}</option>
          ${s.map(n=>l`<option value=${n} ?selected=${n===this.status}>${n}</option>`)}
        </select>
      </div>
      ${i.length?d:l`<div class="muted empty">${t("no_instances")}</div>`}
      ${i.map(n=>l`<div class="card instance-row" role="button" tabindex="0" style="cursor:pointer"
          data-instance-id=${n.instance_id} @click=${()=>this.selected=n.instance_id}
          @keydown=${a=>a.key==="Enter"&&(this.selected=n.instance_id)}>
        <div class="row"><strong class="grow">${n.process_title} · ${n.key}</strong><span class="badge ${n.status}">${n.status}</span></div>
        <div class="muted">${n.current_steps.length?l`${t("current_step")}: ${n.current_steps.join(", ")} · `:d}${t("started",{when:_(this.hass,n.started)})}</div>
      </div>`)}`}};L.properties={hass:{attribute:!1},selected:{type:String},rows:{state:!0},error:{state:!0},status:{state:!0}},L.styles=[v];var I=class extends f{constructor(){super(),this.narrow=!1,this.tab="tasks"}render(){if(!this.hass)return l``;let e=b(this.hass.language),t=[["tasks",e("tab_tasks")],["instances",e("tab_instances")]];return this.hass.user?.is_admin&&t.push(["admin",e("tab_admin")]),l`
      <header><ha-menu-button .hass=${this.hass} .narrow=${this.narrow}></ha-menu-button><span>${e("title")}</span></header>
      <nav role="tablist">${t.map(([s,i])=>l`<button role="tab" data-tab=${s}
          aria-selected=${this.tab===s?"true":"false"} @click=${()=>this.tab=s}>${i}</button>`)}</nav>
      <main>${this.tab==="tasks"?l`<bpo-task-list .hass=${this.hass}></bpo-task-list>`:this.tab==="instances"?l`<bpo-instances .hass=${this.hass}></bpo-instances>`:l`<bpo-admin .hass=${this.hass}></bpo-admin>`}</main>`}};I.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},tab:{state:!0}},I.styles=[v,C`
      :host { display: block; min-height: 100vh; background: var(--primary-background-color, #fafafa); }
      header {
        display: flex; align-items: center; gap: 8px; height: 56px; padding: 0 12px;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, #fff);
        font-size: 20px;
      }
      nav { display: flex; gap: 4px; padding: 0 12px; background: var(--card-background-color, #fff);
        border-bottom: 1px solid var(--divider-color, #e0e0e0); }
      nav button {
        background: none; color: var(--secondary-text-color, #727272); border-radius: 0;
        border-bottom: 2px solid transparent; padding: 10px 14px;
      }
      nav button[aria-selected="true"] { color: var(--primary-color, #03a9f4); border-bottom-color: var(--primary-color, #03a9f4); }
      main { max-width: 860px; margin: 0 auto; padding: 16px; }
      @media (max-width: 420px) {
        header { font-size: 18px; }
        nav { padding: 0; }
        nav button { flex: 1 1 0; padding: 10px 4px; }
        main { padding: 8px; }
      }
    `];var Rt=r=>r.replace(/_/g," ").replace(/^./,e=>e.toUpperCase()),D=class extends f{constructor(){super(),this.compact=!1,this.edited={},this.busy=!1,this.error="",this.open=!1}async run(e,t){this.busy=!0,this.error="";try{await e(),t(),this.dispatchEvent(new CustomEvent("bpo-changed",{bubbles:!0,composed:!0,detail:this.task}))}catch(s){this.error=y(s)}finally{this.busy=!1}}finish(e){let t=b(this.hass.language),s=ie(this.task.form,this.edited,this.task.fields);if(s.length){this.error=t("missing",{fields:s.join(", ")});return}let i=Object.fromEntries(Object.entries(this.edited).filter(([,n])=>n!==null));this.run(()=>Be(this.hass,this.task.task_id,e,i),()=>this.edited={})}render(){let e=this.task,t=b(this.hass.language),s=!e.can_complete||this.busy,i=this.compact&&e.form.length>0&&!this.open,n=e.assignee?t("assignee",{who:e.assignee}):e.group?t("queue",{group:e.group}):e.candidates.length?t("candidates",{who:e.candidates.join(", ")}):"";return l`<div class="card task ${e.overdue?"is-overdue":""}" data-task-id=${e.task_id}>
      <div class="row">
        <h3 class="grow title">${e.title}</h3>
        ${e.overdue?l`<span class="badge overdue">${t("overdue",{when:_(this.hass,e.due)})}</span>`:d}
      </div>
      <div class="muted">${e.process_title} · ${e.key}${n?l` · ${n}`:d}</div>
      ${e.due&&!e.overdue?l`<div class="muted due">${t("due",{when:_(this.hass,e.due)})}</div>`:d}
      ${e.reminders.length&&!this.compact?l`<div class="muted">${t("reminders",{when:e.reminders.map(a=>_(this.hass,a)).join(", ")})}</div>`:d}
      ${e.masked?l`<div class="muted masked">${t("masked")}</div>`:d}
      ${e.form.length&&!i?l`<form class="form" @submit=${a=>a.preventDefault()}>${e.form.map(a=>ne(a,e.fields[a.name],this.edited[a.name],p=>this.edited={...this.edited,[a.name]:p},t,s))}</form>`:d}
      <div class="row actions">
        ${e.can_claim?l`<button class="secondary claim" ?disabled=${this.busy}
              @click=${()=>{this.run(()=>ze(this.hass,e.task_id),()=>{})}}>${t("claim")}</button>`:d}
        ${i?l`<button class="secondary unfold" @click=${()=>this.open=!0}>${t("fill_in")}</button>`:e.outcomes.length?e.outcomes.map(a=>l`<button class="outcome" data-outcome=${a} ?disabled=${s}
              @click=${()=>this.finish(a)}>${Rt(a)}</button>`):l`<button class="outcome" data-outcome="" ?disabled=${s} @click=${()=>this.finish()}>${t("complete")}</button>`}
      </div>
      ${!e.can_complete&&!e.can_claim?l`<div class="muted">${t("not_yours")}</div>`:d}
      ${this.error?l`<div class="error" role="alert">${this.error}</div>`:d}
    </div>`}};D.properties={hass:{attribute:!1},task:{attribute:!1},compact:{type:Boolean},edited:{state:!0},busy:{state:!0},error:{state:!0},open:{state:!0}},D.styles=[v];var it={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},nt=r=>(...e)=>({_$litDirective$:r,values:e}),ae=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,s){this._$Ct=e,this._$AM=t,this._$Ci=s}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}};var{I:Mt}=Ie,at=r=>r;var ot=()=>document.createComment(""),F=(r,e,t)=>{let s=r._$AA.parentNode,i=e===void 0?r._$AB:e._$AA;if(t===void 0){let n=s.insertBefore(ot(),i),a=s.insertBefore(ot(),i);t=new Mt(n,a,r,r.options)}else{let n=t._$AB.nextSibling,a=t._$AM,p=a!==r;if(p){let o;t._$AQ?.(r),t._$AM=r,t._$AP!==void 0&&(o=r._$AU)!==a._$AU&&t._$AP(o)}if(n!==i||p){let o=t._$AA;for(;o!==n;){let h=at(o).nextSibling;at(s).insertBefore(o,i),o=h}}}return t},S=(r,e,t=r)=>(r._$AI(e,t),r),Ot={},lt=(r,e=Ot)=>r._$AH=e,dt=r=>r._$AH,oe=r=>{r._$AR(),r._$AA.remove()};var ct=(r,e,t)=>{let s=new Map;for(let i=e;i<=t;i++)s.set(r[i],i);return s},pt=nt(class extends ae{constructor(r){if(super(r),r.type!==it.CHILD)throw Error("repeat() can only be used in text expressions")}dt(r,e,t){let s;t===void 0?t=e:e!==void 0&&(s=e);let i=[],n=[],a=0;for(let p of r)i[a]=s?s(p,a):a,n[a]=t(p,a),a++;return{values:n,keys:i}}render(r,e,t){return this.dt(r,e,t).values}update(r,[e,t,s]){let i=dt(r),{values:n,keys:a}=this.dt(e,t,s);if(!Array.isArray(i))return this.ut=a,n;let p=this.ut??=[],o=[],h,g,c=0,m=i.length-1,u=0,$=n.length-1;for(;c<=m&&u<=$;)if(i[c]===null)c++;else if(i[m]===null)m--;else if(p[c]===a[u])o[u]=S(i[c],n[u]),c++,u++;else if(p[m]===a[$])o[$]=S(i[m],n[$]),m--,$--;else if(p[c]===a[$])o[$]=S(i[c],n[$]),F(r,o[$+1],i[c]),c++,$--;else if(p[m]===a[u])o[u]=S(i[m],n[u]),F(r,i[c],i[m]),m--,u++;else if(h===void 0&&(h=ct(a,u,$),g=ct(p,c,m)),h.has(p[c]))if(h.has(p[m])){let w=g.get(a[u]),de=w!==void 0?i[w]:null;if(de===null){let _e=F(r,i[c]);S(_e,n[u]),o[u]=_e}else o[u]=S(de,n[u]),F(r,i[c],de),i[w]=null;u++}else oe(i[m]),m--;else oe(i[c]),c++;for(;u<=$;){let w=F(r,o[$+1]);S(w,n[u]),o[u++]=w}for(;c<=m;){let w=i[c++];w!==null&&oe(w)}return this.ut=a,lt(r,o),E}});function Nt(r){r.ctrlKey||r.metaKey||r.shiftKey||(r.preventDefault(),history.pushState(null,"",r.currentTarget.getAttribute("href")),window.dispatchEvent(new CustomEvent("location-changed",{detail:{replace:!1}})))}var B=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.compact=!1,this.limit=0,this.tasks=void 0,this.error="",this.everyone=!1,this.addEventListener("bpo-changed",()=>{this.live.reload()})}async load(){try{this.tasks=(await Fe(this.hass)).filter(t=>t.status==="open"),this.error=""}catch(t){this.error=y(t)}}person(){let t=this.hass.user?.id;return Object.values(this.hass.states??{}).find(s=>s.entity_id.startsWith("person.")&&s.attributes.user_id===t)?.entity_id}mine(t){if(!this.hass.user?.is_admin||this.everyone)return t;let s=this.person();return t.filter(i=>i.mine??(s!==void 0&&i.assignee===s||i.can_claim))}render(){let t=b(this.hass?.language);if(this.error)return l`<div class="error" role="alert">${this.error}</div>`;if(!this.tasks)return l`<div class="muted">${t("loading")}</div>`;let i=!!this.hass.user?.is_admin&&!this.compact?l`<div class="row scope" style="margin-bottom:8px">${[[!1,t("only_mine")],[!0,t("everyone")]].map(([o,h])=>l`<button class=${this.everyone===o?"":"secondary"} data-scope=${o?"all":"mine"}
            aria-pressed=${this.everyone===o?"true":"false"} @click=${()=>this.everyone=o}>${h}</button>`)}</div>`:d,n=this.mine(this.tasks);if(!n.length)return l`${i}<div class="muted empty">${t("no_tasks")}</div>`;let a=[...n].sort((o,h)=>Number(h.overdue)-Number(o.overdue)||(o.due??"~").localeCompare(h.due??"~")),p=this.limit>0?a.slice(0,this.limit):a;return l`${i}<div class="tasks">
      ${pt(p,o=>o.task_id,o=>l`<bpo-task-item .hass=${this.hass} .task=${o} ?compact=${this.compact}></bpo-task-item>`)}
      ${p.length<a.length?l`<div class="muted more"><a href="/bpo" @click=${Nt}>${t("more",{n:a.length-p.length})}</a></div>`:d}
    </div>`}};B.properties={hass:{attribute:!1},compact:{type:Boolean},limit:{type:Number},tasks:{state:!0},error:{state:!0},everyone:{state:!0}},B.styles=[v];var Ut=[["bpo-task-item",D],["bpo-task-list",B],["bpo-instance-view",j],["bpo-instances",L],["bpo-admin",N],["bpo-panel",I],["bpo-tasks-card",U]];for(let[r,e]of Ut)customElements.get(r)||customElements.define(r,e);var le=window;le.customCards=le.customCards??[];le.customCards.some(r=>r.type==="bpo-tasks-card")||le.customCards.push({type:"bpo-tasks-card",name:"BPO tasks",description:"Your open bpo tasks with their forms and outcome buttons.",preview:!1});
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
lit-html/directive.js:
lit-html/directives/repeat.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/directive-helpers.js:
  (**
   * @license
   * Copyright 2020 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
